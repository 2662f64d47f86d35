"""The template demo: a records system set up from the built-in IT implementation template."""

import datetime as dt

from milepost.accounts.models import Organisation, User
from milepost.interchange.templating.selectors import template_source_for_user
from milepost.interchange.templating.services import Setup, contract_from_template


def seed(orgs: dict[str, Organisation], p: dict[str, User], today: dt.date) -> None:
    source = template_source_for_user(user=p["maya"], key="it-implementation-and-service")
    contract_from_template(
        source=source,
        setup=Setup(
            title="Patient records system (set up from a template)",
            reference="MHT-IT-2027-01",
            value="480000",
            currency="GBP",
            start_date=today + dt.timedelta(days=14),
            our_role="client",
            parties={
                "client": orgs["meridian-health-trust"],
                "supplier": orgs["blueframe-software"],
            },
            owners={"supplier": p["lena"]},
            description="Set up in one step from the built-in IT implementation and service template.",
        ),
        actor=p["maya"],
    )
