"""The built-in contract templates, from the domain: every organisation may use them.

Each is a body in the shape ``body.body_read`` checks (a test reads every one), keyed by a
slug that never changes, so the API and the CLI can name it: ``uk-design-and-build``,
``it-implementation-and-service`` and ``short-consulting``.
"""

from dataclasses import dataclass
from typing import Any

from .body import Body, body_read

REMINDERS = {
    "offsets": [14, 7, 1],
    "working_days": True,
    "overdue_every": 7,
    "escalate_after": 14,
    "escalate_critical_to_counterparty": True,
    "channels": ["email", "inapp"],
}


def _after(key: str, days: int, *, working: bool = False, event: str = "met") -> dict[str, Any]:
    return {"after": key, "event": event, "offset": days, "working_days": working}


def _link(key: str) -> list[dict[str, Any]]:
    return [{"on": key, "type": "FS", "lag": 0, "working_days": False}]


def _payment(
    key: str,
    title: str,
    trigger: str,
    percentage: str,
    *,
    retention: str = "0",
    days: int = 30,
    payer: str = "client",
    payee: str = "supplier",
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": "payment",
        "title": title,
        "responsible": payer,
        "due": _after(trigger, days),
        "payment": {
            "payer": payer,
            "payee": payee,
            "trigger": trigger,
            "percentage": percentage,
            "retention_percent": retention,
        },
    }


UK_DESIGN_AND_BUILD: dict[str, Any] = {
    "version": 1,
    "duration_days": 420,
    "lead_role": "client",
    "roles": [
        {"key": "client", "role": "client", "label": "Employer"},
        {"key": "supplier", "role": "supplier", "label": "Contractor"},
        {"key": "consultant", "role": "consultant", "label": "Employer's agent"},
    ],
    "milestones": [
        {
            "key": "SA",
            "kind": "gate",
            "title": "Site access granted",
            "responsible": "client",
            "acceptance_criteria": "Site possession certificate signed; hoarding and welfare in place.",
            "due": {"offset": 10, "working_days": True},
            "gate": {"approvers": ["client", "consultant"]},
        },
        {
            "key": "FD",
            "kind": "deliverable",
            "title": "Foundations complete",
            "responsible": "supplier",
            "accepting": "client",
            "criticality": "critical",
            "acceptance_criteria": "Engineer's inspection certificate for the foundations signed.",
            "due": _after("SA", 60),
            "depends_on": _link("SA"),
        },
        {
            "key": "ST",
            "kind": "deliverable",
            "title": "Structure complete",
            "responsible": "supplier",
            "accepting": "client",
            "criticality": "critical",
            "acceptance_criteria": "Frame and roof complete; structural engineer's certificate issued.",
            "due": _after("FD", 120),
            "depends_on": _link("FD"),
        },
        {
            "key": "FO",
            "kind": "gate",
            "title": "Fit-out stage gate",
            "responsible": "supplier",
            "acceptance_criteria": "Building watertight and the fit-out programme accepted.",
            "due": _after("ST", 14),
            "depends_on": _link("ST"),
            "gate": {"approvers": ["client", "consultant"]},
        },
        {
            "key": "PC",
            "kind": "deliverable",
            "title": "Practical completion",
            "responsible": "supplier",
            "accepting": "client",
            "criticality": "critical",
            "acceptance_criteria": "Certificate of practical completion issued by the employer's agent.",
            "due": _after("FO", 90),
            "depends_on": _link("FO"),
        },
        _payment("P1", "Foundations payment (30%)", "FD", "30", retention="5"),
        _payment("P2", "Structure payment (40%)", "ST", "40", retention="5"),
        _payment("P3", "Completion payment (30%)", "PC", "30", retention="5"),
    ],
    "reminders": REMINDERS,
}

IT_IMPLEMENTATION_AND_SERVICE: dict[str, Any] = {
    "version": 1,
    "duration_days": 545,
    "lead_role": "client",
    "roles": [
        {"key": "client", "role": "client", "label": "Customer"},
        {"key": "supplier", "role": "supplier", "label": "Supplier"},
    ],
    "milestones": [
        {
            "key": "CM",
            "kind": "deliverable",
            "title": "Core modules delivered",
            "responsible": "supplier",
            "accepting": "client",
            "acceptance_criteria": "Core modules installed in the test environment and smoke-tested.",
            "due": {"offset": 60, "working_days": True},
        },
        {
            "key": "IM",
            "kind": "deliverable",
            "title": "Integration module delivered",
            "responsible": "supplier",
            "accepting": "client",
            "acceptance_criteria": "Interfaces to finance and HR pass the agreed test scripts.",
            "due": _after("CM", 30),
            "depends_on": _link("CM"),
        },
        {
            "key": "UM",
            "kind": "deliverable",
            "title": "User manual delivered",
            "responsible": "supplier",
            "accepting": "client",
            "acceptance_criteria": "User and administrator manuals reviewed by the customer's leads.",
            "due": _after("IM", 10, working=True, event="due"),
        },
        {
            "key": "UAT",
            "kind": "gate",
            "title": "User acceptance testing passed",
            "responsible": "supplier",
            "acceptance_criteria": "No open priority 1 or 2 defects; UAT report signed.",
            "due": _after("IM", 20, working=True),
            "depends_on": _link("IM"),
            "gate": {"approvers": ["client"]},
        },
        {
            "key": "GL",
            "kind": "deliverable",
            "title": "Go-live",
            "responsible": "supplier",
            "accepting": "client",
            "criticality": "critical",
            "acceptance_criteria": "Live service running with hypercare in place.",
            "due": _after("UAT", 10, working=True),
            "depends_on": [*_link("UAT"), *_link("UM")],
        },
        {
            "key": "AV",
            "kind": "performance",
            "title": "Monthly availability",
            "responsible": "supplier",
            "acceptance_criteria": "Service available at least 99.5% of each month.",
            "due": {"offset": 540},
            "kpi": {
                "name": "Availability",
                "unit": "%",
                "target": "99.5",
                "direction": "at_least",
                "period": "month",
                "measurement_start_offset": 180,
            },
        },
        {
            "key": "P1R",
            "kind": "performance",
            "title": "P1 incident response",
            "responsible": "supplier",
            "acceptance_criteria": "Priority 1 incidents answered within 4 hours, monthly average.",
            "due": {"offset": 540},
            "kpi": {
                "name": "P1 response time",
                "unit": "hours",
                "target": "4",
                "direction": "at_most",
                "period": "month",
                "measurement_start_offset": 180,
            },
        },
        _payment("PAY1", "Core modules payment (20%)", "CM", "20"),
        _payment("PAY2", "UAT payment (40%)", "UAT", "40"),
        _payment("PAY3", "Go-live payment (40%)", "GL", "40"),
    ],
    "reminders": REMINDERS,
}

SHORT_CONSULTING: dict[str, Any] = {
    "version": 1,
    "duration_days": 120,
    "lead_role": "client",
    "roles": [
        {"key": "client", "role": "client", "label": "Client"},
        {"key": "consultant", "role": "consultant", "label": "Consultant"},
    ],
    "milestones": [
        {
            "key": "IR",
            "kind": "deliverable",
            "title": "Inception report",
            "responsible": "consultant",
            "accepting": "client",
            "acceptance_criteria": "Scope, plan and interview list agreed with the client.",
            "due": {"offset": 10, "working_days": True},
        },
        {
            "key": "INT",
            "kind": "deliverable",
            "title": "Interim findings",
            "responsible": "consultant",
            "accepting": "client",
            "acceptance_criteria": "Findings presented to the steering group.",
            "due": _after("IR", 30),
            "depends_on": _link("IR"),
        },
        {
            "key": "FR",
            "kind": "deliverable",
            "title": "Final report",
            "responsible": "consultant",
            "accepting": "client",
            "criticality": "critical",
            "acceptance_criteria": "Final report with recommendations accepted by the sponsor.",
            "due": _after("INT", 30),
            "depends_on": _link("INT"),
        },
        _payment("F1", "Inception fee (20%)", "IR", "20", payee="consultant"),
        _payment("F2", "Final fee (80%)", "FR", "80", payee="consultant"),
    ],
}


@dataclass(frozen=True)
class BuiltIn:
    """A template that ships with Milepost."""

    slug: str
    name: str
    description: str
    raw: dict[str, Any]

    @property
    def body(self) -> Body:
        return body_read(self.raw)


BUILT_INS: dict[str, BuiltIn] = {
    b.slug: b
    for b in (
        BuiltIn(
            "uk-design-and-build",
            "UK design and build",
            "A construction contract: site access gate; foundations, structure and practical "
            "completion; payments of 30%, 40% and 30% with 5% retention; a fit-out stage gate.",
            UK_DESIGN_AND_BUILD,
        ),
        BuiltIn(
            "it-implementation-and-service",
            "IT implementation and service",
            "Modules and a user manual as deliverables, a UAT gate, staged payments, and monthly "
            "availability and P1 response KPIs.",
            IT_IMPLEMENTATION_AND_SERVICE,
        ),
        BuiltIn(
            "short-consulting",
            "Short consulting engagement",
            "Inception report, interim findings and final report, with fees of 20% and 80%.",
            SHORT_CONSULTING,
        ),
    )
}
