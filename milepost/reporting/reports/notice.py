"""One communication drawn as a formal notice: a standalone HTML page and its PDF.

The notice is drawn on demand, never kept: a sent communication never changes, so the notice
says the same each time, except for its state and the answer owed, which are those of the
moment it is drawn (the footer says when). It uses the reports' stylesheet and their PDF
drawing (``render.report_pdf``): local fonts only, nothing fetched.
"""

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, timezone

from milepost.accounts.models import User
from milepost.communications.deadlines import delay_words
from milepost.communications.models import Communication
from milepost.communications.selectors import type_of
from milepost.contracts.choices import ContractForm, PartyRole
from milepost.contracts.models import Party
from milepost.core.dates import local_today, zone

from .render import report_css, report_pdf

# What each form calls the parties that no named role covers (the NEC Contractor or
# Consultant is the supplier; the JCT Employer is the client).
FORM_ROLE_NAMES: dict[str, dict[str, str]] = {
    ContractForm.NEC4_ECC: {PartyRole.SUPPLIER: "Contractor", PartyRole.CLIENT: "Client"},
    ContractForm.NEC4_PSC: {PartyRole.SUPPLIER: "Consultant", PartyRole.CLIENT: "Client"},
    ContractForm.JCT_DB_2016: {PartyRole.SUPPLIER: "Contractor", PartyRole.CLIENT: "Employer"},
}


def party_role_words(party: Party, form: str) -> str:
    """Name the role a party acts in under the form: its named role, else its form's word."""
    if party.named_role:
        return party.get_named_role_display()
    return FORM_ROLE_NAMES.get(form, {}).get(party.role) or party.get_role_display()


def notice_context(
    *, communication: Communication, user: User, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return what the notice draws. The caller found the communication for ``user``."""
    c = communication
    contract = c.contract
    at = now or timezone.now()
    local = timezone.localtime(at, timezone=zone(contract.time_zone))
    type_ = type_of(c)
    return {
        "c": c,
        "contract": contract,
        "title": f"{c.reference} {c.subject} · {contract.reference}",
        "type_label": type_.label if type_ else "Communication",
        "form_label": ContractForm(contract.form).label,
        "clause": f"Clause {c.clause}" if c.clause else "The contract (no clause named)",
        "sender_role": party_role_words(c.sender, contract.form),
        "recipient_role": party_role_words(c.recipient, contract.form),
        "owed_by_role": party_role_words(c.owed_by, contract.form) if c.owed_by else "",
        "delay": delay_words(c.quoted_delay_days),
        "milestones": list(c.milestones.all()),
        "today": local_today(contract.time_zone, at),
        "drawn": (
            f"Drawn by Milepost for {user} on {formats.date_format(local, 'j M Y, H:i')} "
            f"({contract.time_zone})."
        ),
    }


def notice_html(context: dict[str, Any]) -> str:
    """Render the notice as one standalone HTML document (the reports' stylesheet inlined)."""
    return render_to_string("reporting/reports/notice.html", {**context, "css": report_css()})


def notice_pdf(*, communication: Communication, user: User) -> bytes:
    """Draw the communication as a formal notice, as a PDF, fetching nothing from anywhere."""
    return report_pdf(notice_html(notice_context(communication=communication, user=user)))


def notice_filename(communication: Communication) -> str:
    return f"{communication.contract.reference}-{communication.reference}-notice.pdf"
