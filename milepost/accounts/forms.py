"""Forms for a person's own account pages."""

from django import forms

from milepost.core.dates import all_time_zones


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(max_length=254, required=False, label="Email")
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Times are shown in it, and reminders arrive at a local hour in it.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["time_zone"].choices = [(name, name) for name in sorted(all_time_zones())]  # type: ignore[attr-defined]
