"""The signed link of an update request, and the one check every use of it goes through.

The link carries the request, its milestone and its person, signed with the server's secret
and a salt of its own, so it cannot be made up or moved to another milestone or person. It
works without a password, as many times as the person likes, until the request expires; a
tampered, expired or revoked link, a closed milestone, or a person who may no longer update
the milestone (their membership revoked, their ownership moved) all answer 404 alike.
"""

import datetime as dt
from collections.abc import Sequence

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access, contract_access_for_users
from milepost.core.errors import NotFound

from .models import UpdateRequest

SALT = "milepost.milestones.update-request"


def update_request_token(request: UpdateRequest) -> str:
    """Return the signed token of ``request``'s link."""
    return signing.dumps(
        {"r": request.pk, "m": request.milestone_id, "u": request.owner_id}, salt=SALT
    )


def update_request_path(request_pk: int) -> str:
    """Return the path (no host) of the update request's phone-first page, with its token."""
    request = UpdateRequest.objects.get(pk=request_pk)
    return reverse("milestones:update-answer", args=[update_request_token(request)])


def update_request_for_link(*, token: str, now: dt.datetime | None = None) -> UpdateRequest:
    """Return the live request a link's token names, or raise NotFound whatever is wrong."""
    try:
        data = signing.loads(token, salt=SALT)
        pk, milestone_id, owner_id = int(data["r"]), int(data["m"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise NotFound("update request") from error
    request = (
        UpdateRequest.objects.select_related(
            "milestone__contract", "milestone__responsible_party__organisation", "owner", "round"
        )
        .filter(pk=pk, milestone_id=milestone_id, owner_id=owner_id)
        .first()
    )
    if request is None or not update_request_usable(request, now=now):
        raise NotFound("update request")
    return request


def _link_open(request: UpdateRequest, now: dt.datetime) -> bool:
    """Say whether the request is live and still its milestone owner's, access aside."""
    milestone, person = request.milestone, request.owner
    if request.revoked_at is not None or now >= request.expires_at:
        return False
    if not milestone.is_open or milestone.contract.is_closed or not person.is_active:
        return False
    # The link is the owner's, while a member of an acting party: a revoked membership ends
    # it, and so does the ownership moved to someone else, even if the person manages.
    return milestone.owner_id == person.pk


def update_request_usable(request: UpdateRequest, *, now: dt.datetime | None = None) -> bool:
    """Say whether the request's link still works: live, open, and its person still may update."""
    if not _link_open(request, now or timezone.now()):
        return False
    return contract_access(user=request.owner, contract=request.milestone.contract).can_contribute


def update_requests_usable(
    requests: Sequence[UpdateRequest], *, contract: Contract, now: dt.datetime
) -> list[UpdateRequest]:
    """Return those of the contract's ``requests`` whose links would work, in one query."""
    live = [r for r in requests if _link_open(r, now)]
    access = contract_access_for_users(user_ids={r.owner_id for r in live}, contract=contract)
    return [r for r in live if access[r.owner_id].can_contribute]
