"""The worker's clock: silence after a notified failure becomes acceptance on the next tick,
once, in the contract's time zone; a communication that cannot be deemed is recorded and
passed over, and the others are still deemed."""

import datetime as dt

import pytest
import time_machine

from milepost.alerts.choices import WorkUnit
from milepost.alerts.engine import tick
from milepost.alerts.models import WorkerFailure
from milepost.communications.choices import CommunicationState as S
from milepost.communications.models import Communication
from milepost.communications.services import communication_create, contract_form_set
from milepost.contracts.services import contract_update, party_name_role

from .conftest import World

START = dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC)
HOLIDAY_REGION = "ENG"
pytestmark = pytest.mark.usefixtures("clock")


def programme_with_failure_notified(
    w: World, clock: time_machine.Traveller, subject: str
) -> Communication:
    programme = communication_create(
        contract=w.contract, kind="programme", subject=subject, actor=w.supplier_manager
    )
    clock.move_to(dt.datetime(2026, 12, 30, 10, tzinfo=dt.UTC))
    communication_create(
        contract=w.contract,
        kind="failure_notice",
        subject="No reply",
        in_reply_to=programme,
        actor=w.supplier_manager,
    )
    clock.move_to(START)
    return programme


def test_the_worker_deems_a_programme_accepted_once_its_last_day_ends(
    w: World, clock: time_machine.Traveller
) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    party_name_role(party=w.consultant, named_role="project_manager", actor=w.client_manager)
    programme = programme_with_failure_notified(w, clock, "Programme rev C")
    # Its last day is Wednesday 6 January: 23:30 in London is still that day.
    assert tick(now=dt.datetime(2027, 1, 6, 23, 30, tzinfo=dt.UTC)).deemed == 0
    assert tick(now=dt.datetime(2027, 1, 7, 0, 0, 1, tzinfo=dt.UTC)).deemed == 1
    programme.refresh_from_db()
    assert programme.state == S.DEEMED and programme.deemed_on == dt.date(2027, 1, 7)
    assert tick(now=dt.datetime(2027, 1, 8, tzinfo=dt.UTC)).deemed == 0


def test_the_deemed_day_ends_in_the_contracts_time_zone(
    w: World, clock: time_machine.Traveller
) -> None:
    contract_update(contract=w.contract, time_zone="Pacific/Auckland", actor=w.client_manager)
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    programme = programme_with_failure_notified(w, clock, "Programme rev C")
    programme.refresh_from_db()
    last = programme.deems_on
    assert last == dt.date(2027, 1, 6)
    # The last day ends at midnight in Auckland (UTC+13 in its summer): 11:00 UTC that day.
    ends = dt.datetime.combine(
        last + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=13))
    )
    assert tick(now=ends - dt.timedelta(seconds=1)).deemed == 0
    assert tick(now=ends).deemed == 1


def test_a_communication_that_cannot_be_deemed_is_recorded_and_the_others_are_deemed(
    w: World, clock: time_machine.Traveller
) -> None:
    contract_form_set(contract=w.contract, form="nec4_ecc", actor=w.client_manager)
    broken = programme_with_failure_notified(w, clock, "Programme rev B")
    good = programme_with_failure_notified(w, clock, "Programme rev C")
    # A row no form knows any more (a bad data fix) cannot be deemed.
    Communication.objects.filter(pk=broken.pk).update(kind="retired_type")
    assert tick(now=dt.datetime(2027, 1, 8, tzinfo=dt.UTC)).deemed == 1
    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.state == S.DEEMED and broken.state == S.SENT
    failure = WorkerFailure.objects.get(unit=WorkUnit.CLOCK)
    assert failure.object_id == broken.pk and "retired_type" in failure.last_error
