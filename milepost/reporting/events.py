"""The events the reporting app records; see ``milepost.audit.events``."""

from milepost.audit.events import EventType
from milepost.audit.sentences import Told, count, sentence


class ReportEvent(EventType):
    """What happens to issued reports and report subscriptions."""

    REPORT_ISSUED = "report.issued"
    REPORT_SUBSCRIPTION_CREATED = "report_subscription.created"
    REPORT_SUBSCRIPTION_CHANGED = "report_subscription.changed"
    REPORT_SUBSCRIPTION_DELETED = "report_subscription.deleted"


# --- how each event reads (see ``milepost.audit.sentences``) ---------------------------------

_TYPES = {
    "contract_status": "contract status report",
    "look_ahead": "look-ahead",
    "portfolio": "portfolio report",
    "payment": "payment report",
    "communications": "communications register",
}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _kind(e: Told, *, before: bool = False) -> str:
    value = e.before("type") if before else e.after("type")
    return _TYPES.get(str(value), "report")


def _schedule(e: Told, *, before: bool = False) -> str:
    get = e.before if before else e.after
    if get("frequency") == "weekly" and isinstance(get("weekday"), int):
        return f"every {_DAYS[get('weekday') % 7]}"
    if get("day_of_month"):
        return f"monthly on day {get('day_of_month')}"
    return "on schedule"


def _list(e: Told, *, before: bool = False) -> str:
    people = (e.before if before else e.after)("recipients") or []
    return count(len(people), "recipient") if isinstance(people, list) else "its list"


@sentence(
    ReportEvent.REPORT_ISSUED,
    example={
        "after": {
            "type": "contract_status",
            "title": "Contract status report: HCC-2026-001 Harbour library extension",
            "audience": "Harbour City Council board",
            "period_start": "2026-12-01",
            "period_end": "2026-12-15",
            "sha256": "ab" * 32,
            "subscription": None,
        }
    },
)
def _issued(e: Told) -> str:
    how = " on schedule" if e.after("subscription") else ""
    return (
        f"{e.actor} issued the {_kind(e)}{how} for {e.after('audience') or 'its readers'}, "
        f"covering {e.date(e.after('period_start'))} to {e.date(e.after('period_end'))}."
    )


@sentence(
    ReportEvent.REPORT_SUBSCRIPTION_CREATED,
    example={
        "after": {
            "type": "payment",
            "audience": "Finance",
            "frequency": "weekly",
            "weekday": 4,
            "day_of_month": None,
            "weeks": 2,
            "next_run_on": "2026-12-18",
            "recipients": ["Cora Blake", "finance@example.test"],
        }
    },
)
def _subscribed(e: Told) -> str:
    return (
        f"{e.actor} arranged for the {_kind(e)} to be sent {_schedule(e)} to {_list(e)}, "
        f"first on {e.date(e.after('next_run_on'))}."
    )


@sentence(
    ReportEvent.REPORT_SUBSCRIPTION_CHANGED,
    example={
        "before": {
            "type": "look_ahead",
            "frequency": "weekly",
            "weekday": 0,
            "recipients": ["Sid Shah"],
        },
        "after": {
            "type": "look_ahead",
            "frequency": "monthly",
            "weekday": None,
            "day_of_month": 1,
            "next_run_on": "2027-01-01",
            "recipients": ["Sid Shah", "Sam Reid"],
        },
    },
)
def _changed(e: Told) -> str:
    return (
        f"{e.actor} changed the scheduled {_kind(e)}: now sent {_schedule(e)} to {_list(e)}, "
        f"next on {e.date(e.after('next_run_on'))}."
    )


@sentence(
    ReportEvent.REPORT_SUBSCRIPTION_DELETED,
    example={"before": {"type": "contract_status", "frequency": "monthly", "day_of_month": 1}},
)
def _stopped(e: Told) -> str:
    return f"{e.actor} stopped sending the {_kind(e, before=True)} {_schedule(e, before=True)}."
