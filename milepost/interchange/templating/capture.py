"""Turn a contract into a template body: dates become offsets, parties and people become roles.

Every party is a role, observers too. Owners are not kept (the one setup page asks for an owner per role); relative dates stay
relative; a payment keeps its percentage of the contract value (or its amount when the contract
has no value); cancelled milestones are left out.
"""

from collections import Counter
from decimal import Decimal
from typing import Any

from milepost.contracts.models import Contract, Party
from milepost.schedule.choices import Criticality, MilestoneKind, MilestoneStatus
from milepost.schedule.models import Dependency, Milestone


def _role_keys(parties: list[Party]) -> dict[int, str]:
    seen: Counter[str] = Counter()
    keys = {}
    for party in parties:
        seen[party.role] += 1
        keys[party.pk] = party.role if seen[party.role] == 1 else f"{party.role}-{seen[party.role]}"
    return keys


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def template_body_from_contract(contract: Contract) -> dict[str, Any]:
    """Return ``contract`` as a template body (see ``body``), in a handful of queries."""
    # Observers are roles too: one may accept a deliverable or approve a gate.
    parties = list(contract.parties.select_related("organisation").order_by("pk"))
    role_of = _role_keys(parties)
    milestones = list(
        Milestone.objects.filter(contract=contract)
        .exclude(status=MilestoneStatus.CANCELLED)
        .select_related("payment", "kpi")
        .prefetch_related("gate_requirements")
        .order_by("due_date", "pk")
    )
    keys: dict[int, str] = {}
    for n, m in enumerate(milestones, start=1):
        keys[m.pk] = m.reference or f"M{n}"
    taken = Counter(keys.values())
    for n, m in enumerate(milestones, start=1):
        if taken[keys[m.pk]] > 1:
            keys[m.pk] = f"{keys[m.pk]}-{n}"
    links: dict[int, list[dict[str, Any]]] = {}
    for d in Dependency.objects.filter(successor__contract=contract).order_by("pk"):
        if d.predecessor_id in keys and d.successor_id in keys:
            links.setdefault(d.successor_id, []).append(
                {
                    "on": keys[d.predecessor_id],
                    "type": d.type,
                    "lag": d.lag,
                    "working_days": d.working_days,
                }
            )
    items = []
    for m in milestones:
        if m.responsible_party_id not in role_of:
            continue
        if m.anchor_id in keys:
            due: dict[str, Any] = {
                "after": keys[m.anchor_id],
                "event": m.anchor_event or "met",
                "offset": m.anchor_offset,
                "working_days": m.anchor_working_days,
            }
        else:
            due = {"offset": max(0, (m.due_date - contract.start_date).days)}
        item: dict[str, Any] = {
            "key": keys[m.pk],
            "kind": m.kind,
            "title": m.title,
            "description": m.description,
            "criticality": m.criticality or Criticality.STANDARD,
            "acceptance_criteria": m.acceptance_criteria,
            "responsible": role_of[m.responsible_party_id],
            "due": due,
            "depends_on": links.get(m.pk, []),
        }
        if m.kind == MilestoneKind.DELIVERABLE and m.accepting_party_id in role_of:
            item["accepting"] = role_of[m.accepting_party_id]
        elif m.kind == MilestoneKind.PAYMENT:
            terms = m.payment
            if terms.trigger_id not in keys or terms.payee_id not in role_of:
                continue
            share: dict[str, str] = (
                {"percentage": _number(terms.percentage)}
                if terms.percentage
                else {"amount": _number(terms.amount)}
            )
            item["payment"] = {
                "payer": role_of[terms.payer_id],
                "payee": role_of[terms.payee_id],
                "trigger": keys[terms.trigger_id],
                "retention_percent": _number(terms.retention_percent),
                **share,
            }
        elif m.kind == MilestoneKind.GATE:
            item["gate"] = {
                "approvers": [
                    role_of[r.party_id] for r in m.gate_requirements.all() if r.party_id in role_of
                ]
            }
        elif m.kind == MilestoneKind.PERFORMANCE:
            kpi = m.kpi
            item["kpi"] = {
                "name": kpi.name,
                "unit": kpi.unit,
                "target": _number(kpi.target),
                "direction": kpi.direction,
                "period": kpi.period,
                "measurement_start_offset": max(
                    0, (kpi.measurement_start - contract.start_date).days
                ),
            }
        items.append(item)
    owner_party = next((p for p in parties if p.organisation_id == contract.owner_id), parties[0])
    body: dict[str, Any] = {
        "version": 1,
        "duration_days": max(1, (contract.end_date - contract.start_date).days),
        "lead_role": role_of[owner_party.pk],
        "roles": [
            {"key": role_of[p.pk], "role": p.role, "label": p.get_role_display()} for p in parties
        ],
        "milestones": items,
    }
    rule = getattr(contract, "reminder_rule", None)
    if rule is not None:
        body["reminders"] = {
            "offsets": list(rule.offsets),
            "working_days": rule.working_days,
            "overdue_every": rule.overdue_every,
            "escalate_after": rule.escalate_after,
            "escalate_critical_to_counterparty": rule.escalate_critical_to_counterparty,
            "channels": list(rule.channels),
        }
    return body
