"""Performance forms: recording a measurement of a KPI."""

from django import forms

from milepost.core.text import NOTE_MAX


class MeasurementForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    note = forms.CharField(required=False, max_length=NOTE_MAX)
