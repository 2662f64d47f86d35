"""The events the accounts app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType


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
