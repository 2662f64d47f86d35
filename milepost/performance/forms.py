"""Performance forms: recording and correcting a measurement, and setting service credits."""

from django import forms

from milepost.core.text import NOTE_MAX

from .choices import CreditMethod


class MeasurementForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    note = forms.CharField(required=False, max_length=NOTE_MAX)


class CorrectionForm(forms.Form):
    measurement = forms.IntegerField(min_value=1, label="Period")
    value = forms.DecimalField(max_digits=18, decimal_places=4)
    note = forms.CharField(required=False, max_length=NOTE_MAX)


class CreditTermsForm(forms.Form):
    """Service credit terms as typed on the milestone's page; bands one per line, "0.5: 10"."""

    method = forms.ChoiceField(choices=CreditMethod.choices, label="Credit")
    payer = forms.IntegerField(min_value=1, label="Supplier")
    payee = forms.IntegerField(min_value=1, label="Client")
    amount = forms.DecimalField(required=False, max_digits=18, decimal_places=2, min_value=0)
    percent = forms.DecimalField(required=False, max_digits=18, decimal_places=4, min_value=0)
    period_charge = forms.DecimalField(
        required=False, max_digits=18, decimal_places=2, min_value=0, label="Charge per period"
    )
    bands = forms.CharField(required=False, widget=forms.Textarea, max_length=2000)
    cap_period = forms.DecimalField(
        required=False, max_digits=18, decimal_places=2, min_value=0, label="Cap per period"
    )
    cap_year = forms.DecimalField(
        required=False, max_digits=18, decimal_places=2, min_value=0, label="Cap per year"
    )

    def clean_bands(self) -> list[dict[str, str]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            if not line.strip():
                continue
            shortfall, sep, percent = line.partition(":")
            if not sep or not shortfall.strip() or not percent.strip():
                raise forms.ValidationError(
                    f"Line {number}: write the shortfall, a colon and the percentage, as in 0.5: 10."
                )
            rows.append({"shortfall": shortfall.strip(), "percent": percent.strip().rstrip("%")})
        return rows
