"""Approval forms: one party's decision on a gate."""

from django import forms

from milepost.core.text import NOTE_MAX

from .choices import Decision


class GateDecisionForm(forms.Form):
    party = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=NOTE_MAX, required=False
    )
