"""Operators' admin changes are audited; people see times in their own time zone."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from milepost.accounts.models import Organisation, User
from milepost.audit.models import Event
from milepost.operations.demo import demo_load
from milepost.schedule.records import comment_add

from .conftest import PASSWORD


@pytest.mark.django_db
def test_an_operators_admin_change_writes_an_audit_event(client):
    demo_load()
    client.login(username="admin", password="milepost-demo")
    organisation = Organisation.objects.get(slug="fenwick-advisory")
    response = client.post(
        f"/admin/accounts/organisation/{organisation.pk}/change/",
        {"name": "Fenwick Advisory Partners LLP", "slug": "fenwick-advisory"},
    )
    assert response.status_code == 302
    event = Event.objects.filter(action="organisation.changed_by_operator").get()
    assert event.actor == User.objects.get(username="admin")
    assert event.after == {"fields": ["name"]}


def test_times_show_in_the_signed_in_users_time_zone(client, world):
    milestone = world.deliverable()
    with time_machine.travel(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), tick=False):
        comment_add(milestone=milestone, text="Late-night note", actor=world.client_member)
    User.objects.filter(pk=world.client_member.pk).update(time_zone="Pacific/Auckland")
    client.login(username=world.client_member.username, password=PASSWORD)
    page = client.get(reverse("milestones:milestone-detail", args=[milestone.pk])).content.decode()
    assert "2 Jul 2026 11:30" in page  # 23:30 UTC is 11:30 next day in Auckland (NZST, +12)
    assert "Pacific/Auckland" in page
