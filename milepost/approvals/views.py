"""Approval forms on a milestone's page: one party's decision on a gate."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from milepost.contracts.selectors import party_get_for_contract
from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import post_on_page

from .forms import GateDecisionForm
from .services import gate_decide


@login_required
@require_POST
def post_gate_decision(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = GateDecisionForm(request.POST)
    return post_on_page(
        request,
        form,
        lambda d: gate_decide(
            milestone=milestone,
            party=party_get_for_contract(contract=milestone.contract, pk=d["party"]),
            decision=d["decision"],
            comment=d["comment"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Gate decision recorded.",
        page=reverse("milestones:milestone-detail", args=[milestone.pk]),
        name="gate",
    )
