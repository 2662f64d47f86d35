"""Service tests for retention: the two releases the money terms plan, and what they pay."""

import datetime as dt
from decimal import Decimal

import pytest

from milepost.finance.choices import CycleBasis, PaymentRegime
from milepost.finance.models import MoneyTerms
from milepost.finance.retention.services import retention_releases_sync
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import AnchorEvent

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.usefixtures("clock")


def terms_for(world, completion, **fields):
    values = {
        "contract": world.contract,
        "regime": PaymentRegime.SCHEME_EW,
        "basis": CycleBasis.INTERIM,
        "due_days": 7,
        "final_days": 17,
        "payment_notice_days": 5,
        "pay_less_days": 7,
        "payer": world.client,
        "payee": world.supplier,
        "retention_percent": Decimal("5"),
        "completion": completion,
        "updated_by": world.client_manager,
    }
    values.update(fields)
    return MoneyTerms.objects.create(**values)


def test_plans_two_releases_relative_to_completion(w):
    completion = w.deliverable("Practical completion", due_date=w.today + dt.timedelta(days=200))
    terms = terms_for(w, completion)

    retention_releases_sync(terms=terms, actor=w.client_manager)

    terms.refresh_from_db()
    first, second = terms.first_release, terms.second_release
    assert first.due_date == completion.due_date
    assert second.due_date == dt.date(2027, 9, 18)
    assert first.anchor_id == completion.pk and first.anchor_event == AnchorEvent.MET
    assert PaymentTerms.objects.get(milestone=first).amount == Decimal("25000.00")
    assert PaymentTerms.objects.get(milestone=second).releases_retention
