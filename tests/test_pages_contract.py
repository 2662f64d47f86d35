"""The contract page: a summary first, sections to jump between, a one-row filter form."""

import datetime as dt
import re

from django.urls import reverse

from milepost.schedule.choices import Criticality

from .conftest import World
from .helpers import signed_in


def contract_page(world: World, user=None) -> str:
    response = signed_in(user or world.client_viewer).get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_summary_names_the_next_critical_date(world: World) -> None:
    # given a standard milestone due sooner and two critical ones
    world.deliverable("Hoarding up", due_date=world.today + dt.timedelta(days=5))
    world.deliverable(
        "Structure topped out",
        due_date=world.today + dt.timedelta(days=20),
        criticality=Criticality.CRITICAL,
    )
    world.deliverable(
        "Practical completion",
        due_date=world.today + dt.timedelta(days=90),
        criticality=Criticality.CRITICAL,
    )

    # when a viewer opens the contract
    text = contract_page(world)

    # then the summary names the nearer critical one, with its day
    summary = text[text.index('id="summary"') : text.index('id="milestones"')]
    due = world.today + dt.timedelta(days=20)
    assert "Next critical date" in summary
    assert f"{due:%a} {due.day} {due:%b %Y}: " in summary
    assert "Structure topped out" in summary and "Practical completion" not in summary
    assert "£1,000,000.00" in summary


def test_the_summary_says_when_no_critical_milestone_is_open(world: World) -> None:
    world.deliverable("Hoarding up")

    text = contract_page(world)

    assert "No open critical milestone" in text


def test_the_page_has_anchored_sections_that_need_no_script(world: World) -> None:
    text = contract_page(world)

    nav = re.search(r'<nav class="page-nav" aria-label="On this page">(.*?)</nav>', text, re.S)
    assert nav is not None
    for anchor in ("summary", "milestones", "timeline", "update-rounds", "reports", "parties"):
        assert f'href="#{anchor}"' in nav.group(1)
        assert f'id="{anchor}"' in text
    assert 'id="history"' in text
    # the milestone table comes before the timeline, the parties and the history
    assert text.index('id="milestones"') < text.index('id="timeline"') < text.index('id="history"')


def test_the_filter_form_is_one_row_and_keeps_its_fields(world: World) -> None:
    text = contract_page(world, world.client_manager)

    form = re.search(r'<form method="get" action="#milestones" class="([^"]*)"', text)
    assert form is not None and "filters-row" in form.group(1)
    assert "reporting/reporting.css" in text
    for name in ("q", "kind", "status", "health", "party"):
        assert f'name="{name}"' in text
