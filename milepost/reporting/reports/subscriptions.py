"""Report subscriptions: a distribution list and a schedule, issued and emailed by the worker.

Background work is rows plus a "do one" service plus a thin loop (STYLE rule 9):
``reports_due`` issues each subscription whose day has come (one snapshot per subscription and
day, by a unique key), makes one ``ReportDelivery`` row per recipient (unique per subscription,
day and recipient), then sends the due rows one by one. A member who can no longer see the
contract gets nothing; plain addresses are added only by a manager of a party, and receive
only while the subscription's owner can still see the contract. Anyone who can read the
contract's reports, viewers and observers included, may be on a list and may subscribe
themselves.
"""

import calendar
import datetime as dt
import logging
import smtplib
from collections.abc import Sequence
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from milepost.accounts.choices import Role, at_least
from milepost.accounts.models import Membership, User
from milepost.alerts.failures import connection_lost
from milepost.audit.services import event_record
from milepost.contracts.choices import ContractStatus
from milepost.contracts.models import Contract
from milepost.contracts.selectors import contract_access
from milepost.core.dates import local_today
from milepost.core.errors import DomainError, Forbidden, NotFound

from ..choices import CONTRACT_TYPES, DEFAULT_AUDIENCE, DeliveryStatus, Frequency, ReportType
from ..events import ReportEvent
from ..models import ReportDelivery, ReportSubscription, SubscriptionRecipient
from .issue import AUDIENCE_MAX, ReportRequest, report_issue
from .period import LOOK_AHEAD_WEEKS, Period

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 50
# Waits before each retry of an email that could not be sent; then it is given up.
RETRY = [dt.timedelta(minutes=m) for m in (5, 30, 120, 720)]
SUBSCRIPTIONS_PER_TICK = 5
DELIVERIES_PER_TICK = 20
CLOSED = (ContractStatus.COMPLETED, ContractStatus.TERMINATED)


# --- schedule ------------------------------------------------------------------------------


def next_run_on(
    *, frequency: str, weekday: int | None, day_of_month: int | None, after: dt.date
) -> dt.date:
    """Return the first scheduled day on or after ``after``."""
    if frequency == Frequency.WEEKLY:
        assert weekday is not None
        return after + dt.timedelta(days=(weekday - after.weekday()) % 7)
    assert day_of_month is not None
    day = after.replace(day=day_of_month)
    if day >= after:
        return day
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    return dt.date(year, month, day_of_month)


def scheduled_period(subscription: ReportSubscription, day: dt.date) -> Period:
    """The period the report of a scheduled ``day`` covers: the week or month up to that day, or
    the weeks ahead of it."""
    if subscription.report_type == ReportType.LOOK_AHEAD:
        return Period(day, day + dt.timedelta(days=subscription.weeks * 7 - 1))
    if subscription.frequency == Frequency.WEEKLY:
        return Period(day - dt.timedelta(days=6), day)
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    # The same day a month before; a month without it (30 February) ends the month before.
    since = dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return Period(since + dt.timedelta(days=1), day)


# --- writes --------------------------------------------------------------------------------


def _check_schedule(
    frequency: str, weekday: int | None, day_of_month: int | None, weeks: int, report_type: str
) -> None:
    if report_type not in CONTRACT_TYPES:
        raise DomainError(
            "invalid_report_type",
            "Subscriptions send a contract's status report, look-ahead or payment report.",
            field="type",
        )
    if frequency not in Frequency.values:
        raise DomainError("invalid_frequency", "Choose weekly or monthly.", field="frequency")
    if frequency == Frequency.WEEKLY and (weekday is None or not 0 <= weekday <= 6):
        raise DomainError(
            "invalid_weekday", "Choose the day of the week it is sent on.", field="weekday"
        )
    if frequency == Frequency.MONTHLY and (day_of_month is None or not 1 <= day_of_month <= 28):
        raise DomainError(
            "invalid_day",
            "Choose a day of the month from 1 to 28, so that every month has it.",
            field="day_of_month",
        )
    if weeks not in LOOK_AHEAD_WEEKS:
        raise DomainError("invalid_weeks", "A look-ahead covers 2 or 4 weeks.", field="weeks")


def readers_for_contract(*, contract: Contract) -> QuerySet[User]:
    """Return the active people who can see the contract and so read its reports: everyone in
    an organisation party to it, viewers and observers included."""
    return (
        User.objects.filter(is_active=True, memberships__organisation__parties__contract=contract)
        .distinct()
        .order_by("username")
    )


def _recipients(
    *, contract: Contract, actor: User, members: Sequence[str], emails: Sequence[str]
) -> tuple[list[User], list[str]]:
    """Check the distribution list: people of the contract's parties, and plain addresses."""
    access = contract_access(user=actor, contract=contract)
    usernames = list(dict.fromkeys(name.strip() for name in members if name.strip()))
    addresses = list(
        dict.fromkeys(address.strip().lower() for address in emails if address.strip())
    )
    if len(usernames) + len(addresses) > MAX_RECIPIENTS:
        raise DomainError(
            "too_many_recipients",
            f"A distribution list has at most {MAX_RECIPIENTS} people and addresses.",
            field="members",
        )
    if not usernames and not addresses:
        raise DomainError(
            "no_recipients", "Name at least one person or address to send it to.", field="members"
        )
    people = {user.username: user for user in readers_for_contract(contract=contract)}
    unknown = [name for name in usernames if name not in people]
    if unknown:
        raise DomainError(
            "recipient_not_on_contract",
            f"{unknown[0]} is not in an organisation party to this contract.",
            field="members",
        )
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(
                "invalid_email", f"“{address[:80]}” is not an email address.", field="emails"
            ) from None
        if len(address) > 254:
            raise DomainError(
                "invalid_email", "An email address has at most 254 characters.", field="emails"
            )
    if not access.can_manage:
        if addresses:
            raise Forbidden(
                "Only a manager of a party to the contract may send reports to plain addresses."
            )
        if any(name != actor.username for name in usernames):
            raise Forbidden("You may subscribe yourself; a manager of a party adds others.")
    return [people[name] for name in usernames], addresses


def _require_editor(subscription: ReportSubscription, actor: User) -> None:
    access = contract_access(user=actor, contract=subscription.contract)
    if not access.can_view:
        raise NotFound("subscription")
    if subscription.created_by_id != actor.pk and not access.can_manage:
        raise Forbidden("Only its owner or a manager of a party may change this subscription.")


def _snapshot(subscription: ReportSubscription) -> dict[str, Any]:
    return {
        "type": subscription.report_type,
        "audience": subscription.audience,
        "frequency": subscription.frequency,
        "weekday": subscription.weekday,
        "day_of_month": subscription.day_of_month,
        "weeks": subscription.weeks,
        "next_run_on": subscription.next_run_on,
        "recipients": sorted(str(r) for r in subscription.recipients.all()),
    }


def _set_recipients(
    subscription: ReportSubscription, people: list[User], addresses: list[str]
) -> None:
    subscription.recipients.all().delete()
    SubscriptionRecipient.objects.bulk_create(
        [SubscriptionRecipient(subscription=subscription, user=user) for user in people]
        + [SubscriptionRecipient(subscription=subscription, email=a) for a in addresses]
    )


@transaction.atomic
def report_subscription_create(
    *,
    contract: Contract,
    report_type: str,
    frequency: str,
    actor: User,
    weekday: int | None = None,
    day_of_month: int | None = None,
    weeks: int = 2,
    audience: str = "",
    members: Sequence[str] = (),
    emails: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> ReportSubscription:
    """Subscribe a distribution list to a contract's report, weekly or monthly.

    Anyone who can read the contract's reports may subscribe themselves (a viewer too: the
    report is issued on schedule in their name, showing what they may see); only a manager of
    a party lists others or plain addresses.
    """
    if not contract_access(user=actor, contract=contract).can_view:
        raise NotFound("contract")
    _check_schedule(frequency, weekday, day_of_month, weeks, report_type)
    audience = " ".join(audience.split()) or DEFAULT_AUDIENCE[ReportType(report_type)]
    if len(audience) > AUDIENCE_MAX:
        raise DomainError(
            "too_long", f"The audience has at most {AUDIENCE_MAX} characters.", field="audience"
        )
    people, addresses = _recipients(contract=contract, actor=actor, members=members, emails=emails)
    subscription = ReportSubscription.objects.create(
        contract=contract,
        report_type=report_type,
        audience=audience,
        frequency=frequency,
        weekday=weekday if frequency == Frequency.WEEKLY else None,
        day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
        weeks=weeks,
        next_run_on=next_run_on(
            frequency=frequency,
            weekday=weekday,
            day_of_month=day_of_month,
            after=local_today(contract.time_zone, now),
        ),
        created_by=actor,
    )
    _set_recipients(subscription, people, addresses)
    event_record(
        actor=actor,
        action=ReportEvent.REPORT_SUBSCRIPTION_CREATED,
        obj=subscription,
        after=_snapshot(subscription),
        contract_id=contract.pk,
    )
    return subscription


@transaction.atomic
def report_subscription_update(
    *,
    subscription: ReportSubscription,
    actor: User,
    members: Sequence[str] | None = None,
    emails: Sequence[str] | None = None,
    audience: str | None = None,
    now: dt.datetime | None = None,
    **schedule: Any,
) -> ReportSubscription:
    """Change a subscription's list, audience or schedule (frequency, weekday, day_of_month, weeks)."""
    _require_editor(subscription, actor)
    before = _snapshot(subscription)
    for name in ("frequency", "weekday", "day_of_month", "weeks"):
        if name in schedule and schedule[name] is not None:
            setattr(subscription, name, schedule[name])
    if subscription.frequency == Frequency.WEEKLY:
        subscription.day_of_month = None
    else:
        subscription.weekday = None
    _check_schedule(
        subscription.frequency,
        subscription.weekday,
        subscription.day_of_month,
        subscription.weeks,
        subscription.report_type,
    )
    if audience is not None:
        subscription.audience = (
            " ".join(audience.split()) or DEFAULT_AUDIENCE[ReportType(subscription.report_type)]
        )
        if len(subscription.audience) > AUDIENCE_MAX:
            raise DomainError(
                "too_long", f"The audience has at most {AUDIENCE_MAX} characters.", field="audience"
            )
    if members is not None or emails is not None:
        current = list(subscription.recipients.select_related("user"))
        people, addresses = _recipients(
            contract=subscription.contract,
            actor=actor,
            members=members
            if members is not None
            else [r.user.username for r in current if r.user is not None],
            emails=emails if emails is not None else [r.email for r in current if r.email],
        )
        _set_recipients(subscription, people, addresses)
    subscription.next_run_on = next_run_on(
        frequency=subscription.frequency,
        weekday=subscription.weekday,
        day_of_month=subscription.day_of_month,
        after=local_today(subscription.contract.time_zone, now),
    )
    # A new schedule starts afresh, without waiting out an earlier failure.
    subscription.failures, subscription.retry_after = 0, None
    subscription.save(
        update_fields=[
            "frequency",
            "weekday",
            "day_of_month",
            "weeks",
            "audience",
            "next_run_on",
            "failures",
            "retry_after",
        ]
    )
    event_record(
        actor=actor,
        action=ReportEvent.REPORT_SUBSCRIPTION_CHANGED,
        obj=subscription,
        before=before,
        after=_snapshot(subscription),
        contract_id=subscription.contract_id,
    )
    return subscription


@transaction.atomic
def report_subscription_delete(*, subscription: ReportSubscription, actor: User) -> None:
    """Stop a subscription; the reports it issued stay on the contract."""
    _require_editor(subscription, actor)
    before = _snapshot(subscription)
    event_record(
        actor=actor,
        action=ReportEvent.REPORT_SUBSCRIPTION_DELETED,
        obj=subscription,
        before=before,
        contract_id=subscription.contract_id,
    )
    subscription.delete()


# --- reads ---------------------------------------------------------------------------------


def subscriptions_for_contract(*, contract: Contract) -> QuerySet[ReportSubscription]:
    """Return a contract's subscriptions with their lists. The caller checked access."""
    return (
        ReportSubscription.objects.filter(contract=contract)
        .select_related("created_by", "contract")
        .prefetch_related("recipients__user")
        .order_by("id")
    )


def subscription_get_for_user(*, user: User, pk: int) -> ReportSubscription:
    """Return one subscription on a contract the user can see, or raise NotFound."""
    subscription = (
        ReportSubscription.objects.select_related("contract", "created_by")
        .prefetch_related("recipients__user")
        .filter(pk=pk)
        .first()
    )
    if (
        subscription is None
        or not contract_access(user=user, contract=subscription.contract).can_view
    ):
        raise NotFound("subscription")
    return subscription


# --- the worker's job ----------------------------------------------------------------------


def _can_see(user: User | None, contract: Contract) -> bool:
    return bool(user and user.is_active and contract_access(user=user, contract=contract).can_view)


def _due_subscriptions(now: dt.datetime) -> list[int]:
    # Any subscription whose day has begun somewhere is a candidate; each is then checked on
    # its contract's own calendar.
    latest = (now + dt.timedelta(hours=14)).date()
    return list(
        ReportSubscription.objects.filter(next_run_on__lte=latest)
        .exclude(contract__status__in=CLOSED)
        .exclude(retry_after__gt=now)
        .order_by("next_run_on", "id")
        .values_list("id", flat=True)[: SUBSCRIPTIONS_PER_TICK * 4]
    )


def subscription_issue_one(*, pk: int, now: dt.datetime) -> bool:
    """Issue one due subscription's report and queue its emails; False if it was not due."""
    with transaction.atomic():
        query = ReportSubscription.objects.select_related("contract", "created_by")
        if connection.vendor == "postgresql":
            query = query.select_for_update(skip_locked=True, of=("self",))
        subscription = query.filter(pk=pk).first()
        if subscription is None:
            return False
        contract = subscription.contract
        today = local_today(contract.time_zone, now)
        day = subscription.next_run_on
        if day > today or (subscription.retry_after and subscription.retry_after > now):
            return False
        owner = subscription.created_by
        subscription.next_run_on = next_run_on(
            frequency=subscription.frequency,
            weekday=subscription.weekday,
            day_of_month=subscription.day_of_month,
            after=today + dt.timedelta(days=1),
        )
        subscription.failures, subscription.retry_after, subscription.last_error = 0, None, ""
        subscription.save(update_fields=["next_run_on", "failures", "retry_after", "last_error"])
        if not _can_see(owner, contract):
            # Its owner left the contract: nothing is issued in their name.
            return True
        try:
            with transaction.atomic():
                report = report_issue(
                    request=ReportRequest(
                        subscription.report_type,
                        contract,
                        scheduled_period(subscription, day),
                        subscription.audience,
                    ),
                    actor=None,
                    reader=owner,
                    subscription=subscription,
                    scheduled_for=day,
                    now=now,
                )
        except IntegrityError:
            return True  # another worker issued it
        rows = []
        for recipient in subscription.recipients.select_related("user"):
            rows.append(
                ReportDelivery(
                    subscription=subscription,
                    report=report,
                    issue_date=day,
                    recipient_key=recipient.key,
                    user=recipient.user,
                    email=recipient.email,
                    next_attempt_at=now,
                )
            )
        ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return True


def report_email(delivery: ReportDelivery) -> EmailMultiAlternatives:
    """Build the email of one delivery: a short summary, the HTML summary, and the PDF."""
    report = delivery.report
    address = delivery.user.email if delivery.user else delivery.email
    name = delivery.user.get_full_name() if delivery.user else ""
    link = settings.MILEPOST_BASE_URL + reverse("reporting:report-detail", args=[report.pk])
    context = {
        "report": report,
        "link": link,
        "figures": report.figures,
        "recipient": delivery.user,
    }
    message = EmailMultiAlternatives(
        subject=report.title[:250],
        body=render_to_string("reporting/reports/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((name, address))],
        headers={
            "Message-ID": f"<report-delivery-{delivery.pk}@{settings.MILEPOST_BASE_URL.split('//')[-1].split('/')[0].split(':')[0]}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string("reporting/reports/email.html", context), "text/html"
    )
    filename = f"{report.contract.reference if report.contract else 'portfolio'}-{report.report_type}-{report.period_end}.pdf"
    message.attach(filename, bytes(report.pdf), "application/pdf")
    return message


def report_delivery_send_one(*, pk: int, now: dt.datetime) -> bool:
    """Send one due delivery and record the outcome; False if nothing was due."""
    with transaction.atomic():
        query = ReportDelivery.objects.select_related(
            "report__contract", "user", "subscription__created_by", "subscription__contract"
        )
        if connection.vendor == "postgresql":
            query = query.select_for_update(skip_locked=True, of=("self",))
        delivery = query.filter(
            pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).first()
        if delivery is None:
            return False
        contract = delivery.subscription.contract
        # Access is checked when the email goes, not only when the list was made.
        allowed = (
            _can_see(delivery.user, contract)
            if delivery.user_id
            else _can_see(delivery.subscription.created_by, contract)
            and _manager_somewhere(delivery.subscription.created_by, contract)
        )
        address = delivery.user.email if delivery.user else delivery.email
        if not allowed or not address:
            delivery.status = DeliveryStatus.SKIPPED
            delivery.save(update_fields=["status"])
            return True
        delivery.attempts += 1
        try:
            get_connection(fail_silently=False).send_messages([report_email(delivery)])
        except (smtplib.SMTPException, OSError) as error:
            delivery.last_error = f"Could not send email: {error!r}"[:500]
            if delivery.attempts > len(RETRY):
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = now + RETRY[delivery.attempts - 1]
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
        delivery.save(
            update_fields=["status", "attempts", "next_attempt_at", "sent_at", "last_error"]
        )
    return True


def _manager_somewhere(user: User, contract: Contract) -> bool:
    """Whether ``user`` is still a manager of a party (plain addresses go only while they are)."""
    roles = Membership.objects.filter(
        user=user, organisation__parties__contract=contract
    ).values_list("role", flat=True)
    return any(at_least(role, Role.MANAGER) for role in roles)


def subscription_failure_record(*, pk: int, error: BaseException, now: dt.datetime) -> None:
    """Record that a subscription's report could not be issued, and when it is tried again.

    It waits as a failed email does; after the last wait that day's report is given up and
    the subscription goes on from its next scheduled day. Either way it stops being among the
    oldest due, so it cannot hold up the others.
    """
    with transaction.atomic():
        subscription = ReportSubscription.objects.select_related("contract").filter(pk=pk).first()
        if subscription is None:
            return
        subscription.failures += 1
        subscription.last_error = f"Could not issue the report: {error!r}"[:500]
        if subscription.failures > len(RETRY):
            log.error(
                "reports: subscription %s gave up its report of %s", pk, subscription.next_run_on
            )
            subscription.next_run_on = next_run_on(
                frequency=subscription.frequency,
                weekday=subscription.weekday,
                day_of_month=subscription.day_of_month,
                after=local_today(subscription.contract.time_zone, now) + dt.timedelta(days=1),
            )
            subscription.failures, subscription.retry_after = 0, None
        else:
            subscription.retry_after = now + RETRY[subscription.failures - 1]
        subscription.save(update_fields=["failures", "retry_after", "last_error", "next_run_on"])


def reports_due(*, now: dt.datetime) -> int:
    """Issue the subscriptions whose day has come and send the due emails; return how many."""
    done = 0
    for pk in _due_subscriptions(now)[:SUBSCRIPTIONS_PER_TICK]:
        try:
            # subscription_issue_one is its own savepoint: a failure rolls back that one only.
            done += subscription_issue_one(pk=pk, now=now)
        except Exception as error:
            if connection_lost(error):
                raise  # the worker backs off and reconnects; no row is at fault
            log.exception("reports: subscription %s could not be issued; tried again later", pk)
            subscription_failure_record(pk=pk, error=error, now=now)
    due = list(
        ReportDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:DELIVERIES_PER_TICK]
    )
    for pk in due:
        try:
            done += report_delivery_send_one(pk=pk, now=now)
        except Exception:
            log.exception("reports: delivery %s failed; tried again later", pk)
    return done


def deliveries_for_contract(*, contract: Contract, limit: int = 20) -> list[ReportDelivery]:
    """Return the latest deliveries of a contract's subscriptions. The caller checked access."""
    return list(
        ReportDelivery.objects.filter(subscription__contract=contract)
        .select_related("user", "report")
        .defer("report__html", "report__pdf")
        .order_by("-id")[:limit]
    )
