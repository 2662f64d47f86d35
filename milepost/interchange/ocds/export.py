"""A contract as an Open Contracting Data Standard 1.1.5 release package.

One release per contract, tagged ``contract`` (``implementation`` once a milestone was met or a
payment made), under a stable ocid: the operator's prefix (``MILEPOST_OCID_PREFIX``, registered
with the OCDS helpdesk for real publication) followed by the contract's id. The release id
carries the contract's last change, so a changed contract publishes a new release under the same
ocid. Milepost's words map onto the standard's closed and open codelists as follows:

- party roles: client → buyer and payer, supplier → supplier and payee, subcontractor,
  consultant and observer → interestedParty; a payment milestone's payer and payee add the
  ``payer`` and ``payee`` roles to their parties;
- milestone kinds → ``milestone.type``: deliverable → delivery, payment → payment,
  performance → reporting, gate → approval;
- milestone statuses: scheduled and in progress → scheduled, met → met, partially met →
  partiallyMet, not met → notMet; waived and cancelled milestones are left out (the standard
  has no word for them) and counted in the package's ``x_milepost`` note;
- a paid payment milestone is also an ``implementation.transactions`` entry with the amount paid.

This is a read: it records no event.
"""

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from milepost.contracts.choices import ContractStatus, PartyRole
from milepost.contracts.models import Contract, Party
from milepost.payments.models import PaymentTerms
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Milestone

OCDS_VERSION = "1.1"
PARTY_ROLES: dict[str, list[str]] = {
    PartyRole.CLIENT: ["buyer", "payer"],
    PartyRole.SUPPLIER: ["supplier", "payee"],
    PartyRole.SUBCONTRACTOR: ["interestedParty"],
    PartyRole.CONSULTANT: ["interestedParty"],
    PartyRole.OBSERVER: ["interestedParty"],
}
MILESTONE_TYPES: dict[str, str] = {
    MilestoneKind.DELIVERABLE: "delivery",
    MilestoneKind.PAYMENT: "payment",
    MilestoneKind.PERFORMANCE: "reporting",
    MilestoneKind.GATE: "approval",
}
MILESTONE_STATUSES: dict[str, str] = {
    MilestoneStatus.SCHEDULED: "scheduled",
    MilestoneStatus.IN_PROGRESS: "scheduled",
    MilestoneStatus.MET: "met",
    MilestoneStatus.PARTIALLY_MET: "partiallyMet",
    MilestoneStatus.NOT_MET: "notMet",
}
CONTRACT_STATUSES: dict[str, str] = {
    ContractStatus.DRAFT: "pending",
    ContractStatus.ACTIVE: "active",
    ContractStatus.SUSPENDED: "active",
    ContractStatus.COMPLETED: "terminated",
    ContractStatus.TERMINATED: "terminated",
}


def contract_ocid(contract: Contract) -> str:
    """The contract's stable open contracting id."""
    return f"{settings.MILEPOST_OCID_PREFIX}-{contract.pk}"


def _party_id(party: Party) -> str:
    return f"{settings.MILEPOST_OCID_PREFIX}-org-{party.organisation_id}"


def _day(day: dt.date, zone: ZoneInfo) -> str:
    """A due date as the standard's date-time: midnight at the start of it in the contract's zone."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).isoformat()


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _amount(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _value(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": _amount(amount), "currency": currency}


def _reference(party: Party) -> dict[str, str]:
    return {"id": _party_id(party), "name": party.organisation.name}


def contract_release_package(*, contract: Contract, uri: str) -> dict[str, Any]:
    """Return ``contract`` as a release package (a dict ready for ``json.dumps``).

    Reads the contract's parties, milestones and payment terms in three queries.
    """
    zone = ZoneInfo(contract.time_zone)
    parties = list(contract.parties.select_related("organisation").order_by("id"))
    every = list(Milestone.objects.filter(contract=contract).order_by("due_date", "id"))
    gone = (MilestoneStatus.WAIVED, MilestoneStatus.CANCELLED)
    milestones = [m for m in every if m.status not in gone]
    left_out = len(every) - len(milestones)
    terms = {
        t.milestone_id: t
        for t in PaymentTerms.objects.filter(milestone__contract=contract).select_related(
            "payer__organisation", "payee__organisation"
        )
    }
    last_change = max(
        [contract.updated_at, *(m.updated_at for m in every)],
    )
    roles: dict[int, list[str]] = {p.pk: list(PARTY_ROLES[p.role]) for p in parties}
    for t in terms.values():
        for party_id, role in ((t.payer_id, "payer"), (t.payee_id, "payee")):
            if role not in roles.setdefault(party_id, []):
                roles[party_id].append(role)

    ocid = contract_ocid(contract)
    ocds_milestones = [_milestone(m, zone) for m in milestones]
    transactions = [
        _transaction(m, terms[m.pk], contract.currency, zone)
        for m in milestones
        if m.pk in terms and terms[m.pk].paid_on is not None and terms[m.pk].paid_amount > 0
    ]
    clients = [p for p in parties if p.role == PartyRole.CLIENT]
    suppliers = [p for p in parties if p.role == PartyRole.SUPPLIER]
    award_id = f"{ocid}-award"
    period = {
        "startDate": _day(contract.start_date, zone),
        "endDate": _day(contract.end_date, zone),
    }
    implemented = bool(transactions) or any(m["status"] == "met" for m in ocds_milestones)
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-{last_change.astimezone(dt.UTC):%Y%m%dT%H%M%S%fZ}",
        "date": _stamp(last_change),
        "tag": ["contract", "implementation"] if implemented else ["contract"],
        "initiationType": "tender",
        "language": "en",
        "parties": [
            {**_reference(p), "roles": roles.get(p.pk, ["interestedParty"])} for p in parties
        ],
        "awards": [
            {
                "id": award_id,
                "title": contract.title,
                "status": "active",
                "value": _value(contract.value, contract.currency),
                "suppliers": [_reference(p) for p in suppliers],
                "contractPeriod": period,
            }
        ],
        "contracts": [
            {
                "id": f"{ocid}-contract",
                "awardID": award_id,
                "title": contract.title,
                **({"description": contract.description} if contract.description else {}),
                "status": CONTRACT_STATUSES[contract.status],
                "value": _value(contract.value, contract.currency),
                "period": period,
                "implementation": {
                    "milestones": ocds_milestones,
                    **({"transactions": transactions} if transactions else {}),
                },
            }
        ],
    }
    if clients:
        release["buyer"] = _reference(clients[0])
    package: dict[str, Any] = {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": _stamp(last_change),
        "publisher": {"name": contract.owner.name},
        "releases": [release],
    }
    if left_out:
        package["x_milepost"] = {"waivedOrCancelledMilestonesLeftOut": left_out}
    return package


def _milestone(m: Milestone, zone: ZoneInfo) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": m.reference or str(m.pk),
        "title": m.title,
        "type": MILESTONE_TYPES[m.kind],
        "dueDate": _day(m.due_date, zone),
        "status": MILESTONE_STATUSES[m.status],
        "dateModified": _stamp(m.updated_at),
    }
    if m.description:
        row["description"] = m.description
    if m.reference:
        row["code"] = m.reference
    if m.met_on is not None and m.status in (MilestoneStatus.MET, MilestoneStatus.PARTIALLY_MET):
        row["dateMet"] = _day(m.met_on, zone)
    return row


def _transaction(m: Milestone, t: PaymentTerms, currency: str, zone: ZoneInfo) -> dict[str, Any]:
    assert t.paid_on is not None
    return {
        "id": f"{m.reference or m.pk}-payment",
        "date": _day(t.paid_on, zone),
        "value": _value(t.paid_amount, currency),
        "payer": _reference(t.payer),
        "payee": _reference(t.payee),
    }
