"""The demo's reports: one issued report of each type, and a weekly status report for the board."""

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.reporting.reports.issue import report_issue, report_request
from milepost.reporting.reports.subscriptions import report_subscription_create

CONSTRUCTION = "HCC-2026-014"
IT = "MHT-IT-2026-07"


def seed(p: dict[str, User]) -> None:
    """Issue a status report, a look-ahead, a portfolio and a payment report; subscribe the board."""
    construction = Contract.objects.get(reference=CONSTRUCTION)
    it = Contract.objects.get(reference=IT)
    for who, report_type, contract, options in (
        ("cora", "contract_status", construction, {"audience": "Harbour City Council board"}),
        ("sam", "look_ahead", construction, {"weeks": 4, "audience": "Northgate site team"}),
        ("cora", "portfolio", None, {"audience": "Harbour City Council directors"}),
        ("maya", "payment", it, {"audience": "Meridian Health Trust finance"}),
    ):
        user = p[who]
        wanted = report_request(
            user=user,
            report_type=report_type,
            contract_id=contract.pk if contract else None,
            **options,
        )
        report_issue(request=wanted, actor=user, reader=user)
    report_subscription_create(
        contract=construction,
        report_type="contract_status",
        frequency="weekly",
        weekday=4,
        audience="Harbour City Council board",
        members=["cora", "pat"],
        emails=["board@demo.milepost.invalid"],
        actor=p["cora"],
    )
