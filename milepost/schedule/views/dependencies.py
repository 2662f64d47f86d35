"""Dependency pages: what a milestone comes after and before; managers add and remove links."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from milepost.accounts.models import User
from milepost.contracts.selectors import contract_access
from milepost.core.errors import NotFound
from milepost.web.feedback import form_page, run_action, save_form

from ..choices import DependencyType
from ..dependencies import dependency_add, dependency_change_refusal, dependency_remove
from ..forms import DependencyForm
from ..selectors import LINKS, milestone_get_for_user


@login_required
@require_http_methods(["GET", "POST"])
def milestone_dependencies(request: HttpRequest, pk: int) -> HttpResponse:
    """What a milestone comes after and before; managers add and remove links."""
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk, related=LINKS)
    access = contract_access(user=user, contract=milestone.contract)
    if request.method == "POST":
        access.require_manager()
    form = DependencyForm(request.POST if request.method == "POST" else None, milestone=milestone)
    link = save_form(
        form,
        lambda d: dependency_add(
            predecessor=d["predecessor"],
            successor=milestone,
            type=d["type"] or DependencyType.FINISH_TO_START,
            lag=d["lag"] or 0,
            working_days=d["working_days"],
            actor=user,
        ),
    )
    if link is not None:
        messages.success(request, f"“{milestone.title}” now comes after “{link.predecessor}”.")
        return redirect("milestone-dependencies", pk=milestone.pk)
    refusal = dependency_change_refusal(contract=milestone.contract, user=user)
    change_refusal = refusal.message if refusal is not None else ""
    context = {
        "form": form,
        "milestone": milestone,
        "contract": milestone.contract,
        # The forms are offered only if the service's own check lets the person through; else why.
        "can_change": not change_refusal,
        "change_refusal": change_refusal,
    }
    return form_page(request, "schedule/dependencies/milestone.html", context)


@login_required
@require_POST
def dependency_delete(request: HttpRequest, pk: int, dependency_id: int) -> HttpResponse:
    user = cast(User, request.user)
    milestone = milestone_get_for_user(user=user, pk=pk, related=LINKS)
    links = [*milestone.predecessor_links.all(), *milestone.successor_links.all()]
    dependency = next((d for d in links if d.pk == dependency_id), None)
    if dependency is None:
        raise NotFound("dependency")
    run_action(
        request,
        lambda: dependency_remove(dependency=dependency, actor=user),
        f"Link removed: {dependency}.",
    )
    return redirect("milestone-dependencies", pk=milestone.pk)


urlpatterns: list[URLPattern] = [
    path(
        "milestones/<int:pk>/dependencies/",
        milestone_dependencies,
        name="milestone-dependencies",
    ),
    path(
        "milestones/<int:pk>/dependencies/<int:dependency_id>/remove/",
        dependency_delete,
        name="dependency-remove",
    ),
]
