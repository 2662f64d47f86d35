"""Pages of update requests: the phone-first answer behind a signed link, a contract's rounds
(ask now, the weekly schedule) and one round's response table.
"""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_get_for_user
from milepost.schedule.choices import MilestoneKind
from milepost.web.feedback import run_action, save_form

from .links import update_request_for_link
from .models import UpdateSchedule
from .update_forms import RoundRequestForm, UpdateAnswerForm, UpdateScheduleForm
from .updates import (
    FILES_MAX,
    expected_date_route,
    request_state,
    update_request_answer,
    update_request_get_for_user,
    update_request_revoke,
    update_round_get_for_user,
    update_round_request,
    update_rounds_for_contract,
    update_schedule_clear,
    update_schedule_for,
    update_schedule_set,
)


@never_cache
@require_http_methods(["GET", "POST"])
def update_answer(request: HttpRequest, token: str) -> HttpResponse:
    """Answer an update request from its signed link: no password, this one milestone only."""
    asked = update_request_for_link(token=token)
    milestone = asked.milestone
    access = contract_access(user=asked.owner, contract=milestone.contract)
    route = expected_date_route(milestone=milestone, access=access)
    form = UpdateAnswerForm(
        request.POST if request.method == "POST" else None,
        kind_has_progress=milestone.kind == MilestoneKind.DELIVERABLE,
        date_open=bool(route.kind),
        initial={"progress": milestone.progress},
    )
    files = request.FILES.getlist("files")
    saved = save_form(
        form,
        lambda d: update_request_answer(
            request=asked,
            actor=asked.owner,
            note=d["note"],
            progress=d.get("progress"),
            expected_date=d.get("expected_date"),
            files=files,
        ),
    )
    if saved is not None:
        return redirect(f"{request.path}?sent=1")
    context = {
        "asked": asked,
        "milestone": milestone,
        "contract": milestone.contract,
        "form": form,
        "route": route,
        "files_sent": bool(files) and form.is_bound,
        "files_max": FILES_MAX,
        "file_types": ", ".join("." + e for e in settings.EVIDENCE_ALLOWED_EXTENSIONS),
        "file_limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
        "sent": request.GET.get("sent") == "1" and not form.is_bound,
    }
    response = render(
        request, "milestones/update_answer.html", context, status=422 if form.errors else 200
    )
    # The token is the key: no referrer carries it to another site ("no-referrer" would make
    # the form post "Origin: null", which the CSRF check refuses), and no search engine keeps it.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _rounds_page(
    request: HttpRequest,
    contract: Contract,
    *,
    round_form: RoundRequestForm | None = None,
    schedule_form: UpdateScheduleForm | None = None,
) -> HttpResponse:
    schedule = update_schedule_for(contract=contract)
    context: dict[str, Any] = {
        "contract": contract,
        "access": contract_access(user=request.user, contract=contract),  # type: ignore[arg-type]
        "link_days": settings.MILEPOST_UPDATE_LINK_DAYS,
        "rounds": update_rounds_for_contract(contract=contract, limit=50),
        "schedule": schedule,
        "milestone_schedules": UpdateSchedule.objects.filter(
            contract=contract, milestone__isnull=False
        ).select_related("milestone"),
        "round_form": round_form or RoundRequestForm(contract=contract),
        "schedule_form": schedule_form
        or UpdateScheduleForm(
            contract=contract, initial={"weekday": schedule.weekday if schedule else None}
        ),
    }
    failed = any(f is not None and f.errors for f in (round_form, schedule_form))
    return render(request, "milestones/update_rounds.html", context, status=422 if failed else 200)


@login_required
@require_http_methods(["GET", "POST"])
def update_rounds(request: HttpRequest, pk: int) -> HttpResponse:
    """A contract's update rounds; a manager asks for updates now (POST)."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    if request.method != "POST":
        return _rounds_page(request, contract)
    form = RoundRequestForm(request.POST, contract=contract)
    round_ = save_form(
        form,
        lambda d: update_round_request(contract=contract, milestone=d["milestone"], actor=user),
    )
    if round_ is None:
        return _rounds_page(request, contract, round_form=form)
    asked = round_.requests.count()
    messages.success(
        request, f"Asked {asked} {'person' if asked == 1 else 'people'} for an update."
    )
    return redirect("milestones:update-round", pk=round_.pk)


@login_required
@require_POST
def update_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Set or stop the weekly update schedule of a contract or of one of its milestones."""
    user = cast(User, request.user)
    contract = contract_get_for_user(user=user, pk=pk)
    form = UpdateScheduleForm(request.POST, contract=contract)

    def write(data: dict[str, Any]) -> object:
        if data["weekday"] is None:
            update_schedule_clear(contract=contract, milestone=data["milestone"], actor=user)
            return "Updates are no longer asked on a schedule."
        schedule = update_schedule_set(
            contract=contract, milestone=data["milestone"], weekday=data["weekday"], actor=user
        )
        return f"Updates are now asked every {schedule.get_weekday_display()}."

    done = save_form(form, write)
    if done is None:
        return _rounds_page(request, contract, schedule_form=form)
    messages.success(request, str(done))
    milestone = form.cleaned_data["milestone"]
    if milestone is not None and request.POST.get("back") == "milestone":
        return redirect("milestones:milestone-detail", pk=milestone.pk)
    return redirect("milestones:update-rounds", pk=contract.pk)


@login_required
def update_round(request: HttpRequest, pk: int) -> HttpResponse:
    """One round's response table: who answered and who did not (managers on the contract)."""
    user = cast(User, request.user)
    round_ = update_round_get_for_user(user=user, pk=pk)
    contract_access(user=user, contract=round_.contract).require_manager()
    now = timezone.now()
    rows = [(asked, request_state(asked, now)) for asked in round_.requests.all()]
    answered = sum(1 for _, state in rows if state == "answered")
    return render(
        request,
        "milestones/update_round.html",
        {
            "round": round_,
            "contract": round_.contract,
            "rows": rows,
            "now": now,
            "answered": answered,
            "not_answered": len(rows) - answered,
        },
    )


@login_required
@require_POST
def update_request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw one request, its link sent to the wrong person or seen by others (managers)."""
    user = cast(User, request.user)
    asked = update_request_get_for_user(user=user, pk=pk)
    run_action(
        request,
        lambda: update_request_revoke(request=asked, actor=user),
        f"Withdrew the link sent to {asked.owner} about “{asked.milestone.title}”; "
        "it no longer opens.",
    )
    return redirect("milestones:update-round", pk=asked.round_id)
