"""Forms for a person's own account pages."""

from django import forms

from milepost.web.pickers import TimeZoneField


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(max_length=254, required=False, label="Email")
    time_zone = TimeZoneField(
        label="Time zone",
        help_text="Start typing a place, such as London, and pick it from the list. Times are "
        "shown in it, and reminders arrive at a local hour in it.",
    )


class ApiTokenForm(forms.Form):
    # A fresh value in each form drawn; a post that repeats a used one (the browser's "reload"
    # after creating) creates nothing.
    form_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    name = forms.CharField(
        max_length=100, label="Name", help_text="Say what it is for, such as 'Finance export'."
    )
    read_only = forms.BooleanField(
        required=False,
        label="Read-only",
        help_text="It may read through the API but never change anything.",
    )
    # Read in the signed-in person's own time zone (UserTimeZoneMiddleware activates it).
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires at",
        help_text="Optional, in your time zone; leave empty for a token that does not expire.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
