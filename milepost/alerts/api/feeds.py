"""Calendar feeds API: list, create, rotate and turn off your own feed tokens."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from milepost.accounts.api import actor
from milepost.contracts.selectors import contract_get_for_user
from milepost.core.schemas import InputSchema, RowId

from ..feeds import (
    feed_token_get_for_user,
    feed_token_get_or_create,
    feed_token_revoke,
    feed_token_rotate,
    feed_tokens_for_user,
    feed_url,
    feed_webcal_url,
)
from ..models import FeedToken

router = Router(tags=["calendar feeds"])


class FeedIn(InputSchema):
    contract_id: RowId | None = None


class FeedOut(Schema):
    id: int
    url: str
    webcal_url: str
    last_used_at: dt.datetime | None
    created_at: dt.datetime


class ContractFeedOut(FeedOut):
    contract_id: int


class FeedsOut(Schema):
    """Your personal feed (a list of none or one) and your contract feeds."""

    personal: list[FeedOut]
    contracts: list[ContractFeedOut]


def _out(token: FeedToken) -> dict[str, Any]:
    out = {
        "id": token.pk,
        "url": feed_url(token),
        "webcal_url": feed_webcal_url(token),
        "last_used_at": token.last_used_at,
        "created_at": token.created_at,
    }
    if token.contract_id is not None:
        out["contract_id"] = token.contract_id
    return out


@router.get("/me/feeds", response=FeedsOut)
def list_feeds(request: HttpRequest) -> Any:
    """List your calendar feeds with their secret URLs."""
    tokens = [_out(token) for token in feed_tokens_for_user(user=actor(request))]
    return {
        "personal": [t for t in tokens if "contract_id" not in t],
        "contracts": [t for t in tokens if "contract_id" in t],
    }


@router.post("/me/feeds", response={200: FeedOut, 201: FeedOut})
def create_feed(request: HttpRequest, payload: FeedIn) -> Any:
    """Create your personal feed, or one contract's (201); an existing one answers 200."""
    user = actor(request)
    contract = None
    if payload.contract_id is not None:
        contract = contract_get_for_user(user=user, pk=payload.contract_id)
    before = {t.pk for t in feed_tokens_for_user(user=user)}
    token = feed_token_get_or_create(user=user, contract=contract, actor=user)
    return Status(200 if token.pk in before else 201, _out(token))


@router.post("/feeds/{feed_id}/rotate", response=FeedOut)
def rotate_feed(request: HttpRequest, feed_id: RowId) -> Any:
    """Give the feed a new secret URL; the old one answers 404 from now on."""
    token = feed_token_get_for_user(user=actor(request), pk=feed_id)
    return _out(feed_token_rotate(token=token, actor=actor(request)))


@router.delete("/feeds/{feed_id}", response={204: None})
def delete_feed(request: HttpRequest, feed_id: RowId) -> Any:
    """Turn the feed off; its URL answers 404 from now on."""
    token = feed_token_get_for_user(user=actor(request), pk=feed_id)
    feed_token_revoke(token=token, actor=actor(request))
    return Status(204, None)
