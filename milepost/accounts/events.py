"""The events the accounts app records; see ``milepost.audit.events``."""

from typing import Any

from django.db.models import Q

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, names_source, sentence


class AccountEvent(EventType):
    """What happens to organisations, people, their memberships, API tokens and sign-ins."""

    ORGANISATION_CREATED = "organisation.created"
    USER_CREATED = "user.created"
    USER_PROFILE_CHANGED = "user.profile_changed"
    MEMBERSHIP_SET = "membership.set"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"
    API_TOKEN_THROTTLED = "api_token.throttled"
    LOGIN_LOCKED_OUT = "login.locked_out"
    LOGIN_UNLOCKED = "login.unlocked"
    USER_CREATED_BY_OPERATOR = "user.created_by_operator"
    USER_CHANGED_BY_OPERATOR = "user.changed_by_operator"
    USER_DELETED_BY_OPERATOR = "user.deleted_by_operator"
    ORGANISATION_CREATED_BY_OPERATOR = "organisation.created_by_operator"
    ORGANISATION_CHANGED_BY_OPERATOR = "organisation.changed_by_operator"
    ORGANISATION_DELETED_BY_OPERATOR = "organisation.deleted_by_operator"
    MEMBERSHIP_CREATED_BY_OPERATOR = "membership.created_by_operator"
    MEMBERSHIP_CHANGED_BY_OPERATOR = "membership.changed_by_operator"
    MEMBERSHIP_DELETED_BY_OPERATOR = "membership.deleted_by_operator"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------

_PROFILE_WORDS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email address",
    "time_zone": "time zone",
}


@names_source("person")
def _people(keys: set[Any]) -> dict[Any, str]:
    from .models import User

    ids = {k for k in keys if isinstance(k, int)}
    usernames = {k for k in keys if isinstance(k, str)}
    found: dict[Any, str] = {}
    for user in User.objects.filter(Q(pk__in=ids) | Q(username__in=usernames)).only(
        "username", "first_name", "last_name"
    ):
        found[user.pk] = found[user.username] = str(user)
    return found


@names_source("organisation")
def _organisations(keys: set[Any]) -> dict[Any, str]:
    from .models import Organisation

    ids = {k for k in keys if isinstance(k, int)}
    slugs = {k for k in keys if isinstance(k, str)}
    found: dict[Any, str] = {}
    for org in Organisation.objects.filter(Q(pk__in=ids) | Q(slug__in=slugs)).only("name", "slug"):
        found[org.pk] = found[org.slug] = org.name
    return found


@sentence(AccountEvent.ORGANISATION_CREATED)
def _organisation_created(e: Told) -> str:
    return f"{e.actor} created the organisation {e.after('name') or e.organisation(e.event.object_id)}."


@sentence(AccountEvent.USER_CREATED)
def _user_created(e: Told) -> str:
    who = e.person(e.after("username") or e.event.object_id)
    role = " as an operator" if e.after("operator") else ""
    return f"{e.actor} created an account for {who}{role}."


@sentence(AccountEvent.USER_PROFILE_CHANGED)
def _profile_changed(e: Told) -> str:
    what = e.listed([_PROFILE_WORDS.get(k, "details") for k in (e.event.after or {})]) or "profile"
    if e.event.actor_id == e.event.object_id:
        return f"{e.actor} changed their {what}."
    return f"{e.actor} changed the {what} of {e.person(e.event.object_id)}."


@sentence(AccountEvent.MEMBERSHIP_SET)
def _membership_set(e: Told) -> str:
    who = e.person(e.after("user"))
    org = e.organisation(e.after("organisation"))
    role = e.words(e.after("role"))
    if e.before("role"):
        return f"{e.actor} changed the role of {who} at {org} from {e.words(e.before('role'))} to {role}."
    return f"{e.actor} made {who} {'an' if role[:1] in 'aeiou' else 'a'} {role} of {org}."


@sentence(AccountEvent.API_TOKEN_CREATED)
def _token_created(e: Told) -> str:
    access = "read-only" if e.after("read_only") else "read and write"
    expires = f", expiring on {e.date(e.after('expires_at'))}" if e.after("expires_at") else ""
    return f"{e.actor} created the {access} API token “{e.after('name') or 'unnamed'}”{expires}."


@sentence(AccountEvent.API_TOKEN_REVOKED)
def _token_revoked(e: Told) -> str:
    return f"{e.actor} revoked an API token."


@sentence(AccountEvent.API_TOKEN_THROTTLED)
def _token_throttled(e: Told) -> str:
    tries = e.count(int(e.after("failures") or 0), "unknown token")
    minutes = e.count(int(e.after("minutes") or 0), "minute")
    return f"Milepost refused API requests from {e.after('ip_address') or 'an address'} for {minutes} after {tries}."


@sentence(AccountEvent.LOGIN_LOCKED_OUT)
def _locked_out(e: Told) -> str:
    who = e.after("username") or "an unknown name"
    tries = e.count(int(e.after("failures") or 0), "failed sign-in")
    minutes = e.count(int(e.after("minutes") or 0), "minute")
    return f"Milepost locked out sign-ins as {who} from {e.after('ip_address') or 'an address'} for {minutes} after {tries}."


@sentence(AccountEvent.LOGIN_UNLOCKED)
def _unlocked(e: Told) -> str:
    what = e.listed(
        [
            f"sign-ins as {e.after('username')}" if e.after("username") else "",
            e.after("ip_address") or "",
        ]
    )
    return f"{e.actor} lifted the lockout of {what or 'a sign-in'}."


@sentence(
    AccountEvent.USER_CREATED_BY_OPERATOR,
    AccountEvent.USER_CHANGED_BY_OPERATOR,
    AccountEvent.USER_DELETED_BY_OPERATOR,
    AccountEvent.ORGANISATION_CREATED_BY_OPERATOR,
    AccountEvent.ORGANISATION_CHANGED_BY_OPERATOR,
    AccountEvent.ORGANISATION_DELETED_BY_OPERATOR,
    AccountEvent.MEMBERSHIP_CREATED_BY_OPERATOR,
    AccountEvent.MEMBERSHIP_CHANGED_BY_OPERATOR,
    AccountEvent.MEMBERSHIP_DELETED_BY_OPERATOR,
)
def _by_operator(e: Told) -> str:
    noun, _, verb = e.event.action.partition(".")
    done = verb.split("_")[0]
    if noun == "user":
        what = f"the account of {e.person(e.event.object_id, missing='a person')}"
    elif noun == "organisation":
        name = e.organisation(e.event.object_id, missing="")
        what = f"the organisation {name}" if name else "an organisation"
    else:
        what = "a membership"
    return f"{e.actor} {done} {what} in the administration pages."
