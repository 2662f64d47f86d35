"""Payment forms on a milestone's page: recording the invoice and the payment received."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from milepost.core.forms import set_currency
from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import post_on_page

from .forms import InvoiceForm, PaidForm
from .services import payment_record_invoice, payment_record_paid


@login_required
@require_POST
def post_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = InvoiceForm(request.POST)
    set_currency(form, milestone.contract.currency)
    return post_on_page(
        request,
        form,
        lambda d: payment_record_invoice(
            milestone=milestone,
            invoiced_on=d["invoiced_on"],
            amount=d["amount"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Invoice recorded.",
        page=reverse("milestones:milestone-detail", args=[milestone.pk]),
        name="invoice",
    )


@login_required
@require_POST
def post_paid(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = PaidForm(request.POST)
    set_currency(form, milestone.contract.currency)
    return post_on_page(
        request,
        form,
        lambda d: payment_record_paid(
            milestone=milestone,
            paid_on=d["paid_on"],
            amount=d["amount"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Payment recorded.",
        page=reverse("milestones:milestone-detail", args=[milestone.pk]),
        name="paid",
    )
