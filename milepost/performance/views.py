"""Performance forms on a milestone's page: recording a measurement of its KPI."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from milepost.schedule.selectors import milestone_get_for_user
from milepost.web.feedback import post_on_page

from .forms import MeasurementForm
from .services import measurement_record


@login_required
@require_POST
def post_measurement(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = milestone_get_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = MeasurementForm(request.POST)
    return post_on_page(
        request,
        form,
        lambda d: measurement_record(
            milestone=milestone,
            period_start=d["period_start"],
            value=d["value"],
            note=d["note"],
            actor=request.user,  # type: ignore[arg-type]
        ),
        "Measurement recorded.",
        page=reverse("milestones:milestone-detail", args=[milestone.pk]),
        name="measurement",
    )
