"""In-app notifications (bell and list), alert preferences and watches: services, pages, API."""

import copy
import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from milepost.accounts.models import User
from milepost.alerts.choices import Channel, Digest, Kind, Status
from milepost.alerts.inbox import (
    alert_preference_for,
    alert_preference_set,
    inbox_for_user,
    is_watching,
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
    watch_add,
    watch_remove,
    watches_for_user,
)
from milepost.alerts.models import AlertPreference, Notification, Watch
from milepost.audit.models import Event
from milepost.core.errors import Forbidden, NotFound
from milepost.schedule.models import Milestone

from .helpers import refused, signed_in

API = "/api/v1"
PROCESSOR = "milepost.alerts.context_processors.notifications"


def note(
    user: User,
    *,
    summary: str = "Foundation complete is due in 7 days",
    milestone: Milestone | None = None,
    read: bool = False,
    channel: str = Channel.INAPP,
    status: str = Status.SENT,
) -> Notification:
    """Make a delivered in-app notification the way the worker leaves one."""
    now = timezone.now()
    payload: dict[str, object] = {"type": "milestone.due_soon", "summary": summary}
    if milestone is not None:
        payload["milestone"] = {
            "id": milestone.pk,
            "title": milestone.title,
            "url": f"http://testserver/milestones/{milestone.pk}/",
        }
    return Notification.objects.create(
        key=f"test:{uuid.uuid4()}",
        kind=Kind.REMINDER,
        channel=channel,
        status=status,
        event_type="milestone.due_soon",
        user=user,
        contract=milestone.contract if milestone else None,
        milestone=milestone,
        payload=payload,
        send_after=now,
        sent_at=now if status == Status.SENT else None,
        read_at=now if read else None,
    )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def bell(body: str) -> str:
    match = re.search(r'<a href="/notifications/" class="bell">(.*?)</a>', body, re.S)
    assert match, "no bell in the navigation"
    return text(match.group(1))


# Watches


def test_watching_a_contract_makes_one_watch_and_one_event(world):
    watch = watch_add(user=world.supplier_viewer, contract=world.contract)
    assert watch.contract == world.contract and watch.user == world.supplier_viewer
    event = Event.objects.get(action="watch.added")
    assert event.actor == world.supplier_viewer and event.after == {"contract": world.contract.pk}


def test_watching_again_returns_the_same_watch_without_a_second_event(world):
    first = watch_add(user=world.client_member, contract=world.contract)
    again = watch_add(user=world.client_member, contract=world.contract)
    assert again.pk == first.pk
    assert Watch.objects.count() == 1
    assert Event.objects.filter(action="watch.added").count() == 1


def test_watching_what_one_cannot_see_is_not_found(world):
    milestone = world.deliverable()
    with refused("not_found", error=NotFound):
        watch_add(user=world.outsider, contract=world.contract)
    with refused("not_found", error=NotFound):
        watch_add(user=world.outsider, milestone=milestone)
    assert not Watch.objects.exists()


def test_watch_events_stay_out_of_the_contracts_history(world):
    milestone = world.deliverable()
    before = Event.objects.filter(contract_id=world.contract.pk).count()
    watch_add(user=world.client_member, milestone=milestone)
    watch_remove(user=world.client_member, milestone=milestone)
    assert Event.objects.filter(contract_id=world.contract.pk).count() == before
    assert Event.objects.filter(action__startswith="watch.").count() == 2


def test_unwatching_removes_the_watch_and_unwatching_again_is_quiet(world):
    milestone = world.deliverable()
    watch_add(user=world.client_member, milestone=milestone)
    watch_remove(user=world.client_member, milestone=milestone)
    assert not is_watching(user=world.client_member, milestone=milestone)
    event = Event.objects.get(action="watch.removed")
    assert event.before == {"milestone": milestone.pk}
    watch_remove(user=world.client_member, milestone=milestone)
    assert Event.objects.filter(action="watch.removed").count() == 1


def test_watch_list_holds_only_what_the_person_can_still_see(world):
    mine = watch_add(user=world.client_member, contract=world.contract)
    # As if the outsider's organisation had since left the contract.
    Watch.objects.create(user=world.outsider, contract=world.contract)
    assert list(watches_for_user(user=world.client_member)) == [mine]
    assert list(watches_for_user(user=world.outsider)) == []


# Preferences


def test_preferences_default_without_a_row(world):
    preference = alert_preference_for(user=world.client_member)
    assert preference.pk is None
    assert (preference.email, preference.inapp, preference.digest, preference.hour) == (
        True,
        True,
        Digest.OFF,
        8,
    )


def test_setting_preferences_creates_the_row_and_records_the_change(world):
    user = world.client_member
    preference = alert_preference_set(user=user, actor=user, digest=Digest.WEEKLY, hour=7)
    stored = AlertPreference.objects.get(user=user)
    assert stored.pk == preference.pk and (stored.digest, stored.hour) == ("weekly", 7)
    event = Event.objects.get(action="alert_preference.changed")
    assert event.before == {"digest": "off", "hour": 8}
    assert event.after == {"digest": "weekly", "hour": 7}


def test_setting_the_same_preferences_writes_no_event(world):
    user = world.client_member
    alert_preference_set(user=user, actor=user, hour=8, email=True)
    assert not Event.objects.filter(action="alert_preference.changed").exists()


def test_only_the_person_may_change_their_preferences(world):
    with refused("forbidden", error=Forbidden):
        alert_preference_set(user=world.client_member, actor=world.client_manager, hour=9)
    assert not AlertPreference.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("hour", 24, "invalid_hour"),
        ("hour", -1, "invalid_hour"),
        ("hour", True, "invalid_hour"),
        ("digest_weekday", 7, "invalid_digest_weekday"),
        ("digest", "hourly", "invalid_digest"),
        ("email", "yes", "invalid_email"),
        ("inapp", 1, "invalid_inapp"),
        ("time_zone", "UTC", "not_editable"),
    ],
)
def test_preferences_refuse_bad_values_naming_the_field(world, field, value, code):
    user = world.client_member
    with refused(code, field):
        alert_preference_set(user=user, actor=user, **{field: value})
    assert not AlertPreference.objects.exists()


# Notifications


def test_inbox_holds_the_persons_sent_in_app_rows_newest_first(world):
    user = world.client_member
    older = note(user, summary="older")
    newer = note(user, summary="newer")
    note(user, channel=Channel.EMAIL)
    note(user, status=Status.PENDING)
    note(world.client_manager)
    assert list(inbox_for_user(user=user)) == [newer, older]
    assert list(inbox_for_user(user=user, unread=True)) == [newer, older]


def test_unread_count_counts_only_unread_sent_in_app_rows_in_one_query(
    world, django_assert_num_queries
):
    user = world.client_member
    note(user)
    note(user)
    note(user, read=True)
    note(user, channel=Channel.EMAIL)
    note(user, status=Status.PENDING)
    note(world.client_manager)
    with django_assert_num_queries(1):
        assert unread_count(user=user) == 2


def test_marking_read_sets_the_time_once(world):
    row = note(world.client_member)
    notification_mark_read(user=world.client_member, notification=row)
    row.refresh_from_db()
    first = row.read_at
    assert first is not None
    notification_mark_read(user=world.client_member, notification=row)
    row.refresh_from_db()
    assert row.read_at == first
    assert not Event.objects.filter(action__startswith="notification").exists()


def test_marking_someone_elses_notification_read_is_not_found(world):
    theirs = note(world.client_manager)
    with refused("not_found", error=NotFound):
        notification_mark_read(user=world.client_member, notification=theirs)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_the_persons_in_app_rows(world):
    user = world.client_member
    note(user)
    note(user)
    email = note(user, channel=Channel.EMAIL)
    theirs = note(world.client_manager)
    assert notifications_mark_all_read(user=user) == 2
    assert unread_count(user=user) == 0
    email.refresh_from_db()
    theirs.refresh_from_db()
    assert email.read_at is None and theirs.read_at is None


# The bell


def test_context_processor_is_installed():
    assert PROCESSOR in django_settings.TEMPLATES[0]["OPTIONS"]["context_processors"]


def test_bell_shows_the_unread_count_in_words(world):
    user = world.client_member
    for _ in range(3):
        note(user)
    note(user, read=True)
    body = signed_in(user).get(reverse("reporting:contract-list")).content.decode()
    assert bell(body).endswith("Notifications, 3 unread")


def test_bell_without_unread_says_notifications_alone(world):
    note(world.client_member, read=True)
    body = signed_in(world.client_member).get(reverse("reporting:contract-list")).content.decode()
    assert bell(body).endswith("Notifications")


def test_bell_costs_one_query(world, settings):
    note(world.client_member)
    client = signed_in(world.client_member)
    url = reverse("reporting:contract-list")
    client.get(url)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as with_bell:
        assert client.get(url).status_code == 200
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    templates[0]["OPTIONS"]["context_processors"] = [p for p in processors if p != PROCESSOR]
    settings.TEMPLATES = templates
    with CaptureQueriesContext(connection) as without_bell:
        assert client.get(url).status_code == 200
    assert len(with_bell) - len(without_bell) == 1
    assert sum("alerts_notification" in q["sql"] for q in with_bell.captured_queries) == 1


def test_anonymous_pages_cost_the_bell_no_query(world):
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(reverse("login")).status_code == 200
    assert not any("alerts_notification" in q["sql"] for q in queries.captured_queries)


# The notifications page


def test_notification_list_shows_own_notifications_with_links(world):
    milestone = world.deliverable()
    note(world.client_member, summary="Foundation complete is due in 7 days", milestone=milestone)
    note(world.client_manager, summary="Cora's private reminder")
    response = signed_in(world.client_member).get(reverse("notification-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Foundation complete is due in 7 days" in body and "Cora" not in body
    assert f'href="{reverse("milestones:milestone-detail", args=[milestone.pk])}"' in body
    assert "Unread" in body and "Mark all read" in body


def test_notification_list_pages_by_fifty(world):
    for i in range(51):
        note(world.client_member, summary=f"Reminder number {i}")
    client = signed_in(world.client_member)
    first = client.get(reverse("notification-list")).content.decode()
    second = client.get(reverse("notification-list"), {"page": 2}).content.decode()
    assert first.count('<li class="notification') == 50 and "Page 1 of 2" in first
    assert second.count('<li class="notification') == 1 and "Reminder number 0<" in second


def test_mark_read_button_marks_one(world):
    row = note(world.client_member)
    response = signed_in(world.client_member).post(reverse("notification-read", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notification-list")
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_read_of_another_persons_notification_is_404(world):
    theirs = note(world.client_manager)
    client = signed_in(world.client_member)
    assert client.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notification-open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_button(world):
    note(world.client_member)
    note(world.client_member)
    client = signed_in(world.client_member)
    response = client.post(reverse("notification-read-all"), follow=True)
    assert "2 notifications marked read." in response.content.decode()
    assert unread_count(user=world.client_member) == 0


def test_opening_a_notification_marks_it_read_and_goes_to_its_milestone(world):
    milestone = world.deliverable()
    row = note(world.client_member, milestone=milestone)
    response = signed_in(world.client_member).post(reverse("notification-open", args=[row.pk]))
    assert response["Location"] == reverse("milestones:milestone-detail", args=[milestone.pk])
    row.refresh_from_db()
    assert row.read_at is not None


def test_anonymous_visitor_is_sent_to_sign_in(world):
    response = Client().get(reverse("notification-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# The preferences page


def test_preferences_page_shows_the_form_time_zone_and_watches(world):
    watch_add(user=world.client_member, contract=world.contract)
    body = signed_in(world.client_member).get(reverse("alert-preferences")).content.decode()
    assert "Europe/London" in body and f'href="{reverse("accounts:profile")}"' in body
    assert world.contract.reference in body and "Unwatch" in body
    assert 'name="hour" value="8"' in body


def test_preferences_form_saves(world):
    client = signed_in(world.client_member)
    response = client.post(
        reverse("alert-preferences"),
        {"inapp": "on", "digest": "daily", "hour": "7", "digest_weekday": "4"},
    )
    assert response.status_code == 302
    stored = AlertPreference.objects.get(user=world.client_member)
    assert (stored.email, stored.inapp, stored.digest, stored.hour, stored.digest_weekday) == (
        False,
        True,
        "daily",
        7,
        4,
    )


def test_preferences_form_refuses_hour_24_by_the_field_and_keeps_input(world):
    response = signed_in(world.client_member).post(
        reverse("alert-preferences"),
        {"email": "on", "digest": "weekly", "hour": "24", "digest_weekday": "2"},
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert list(form.errors) == ["hour"] and "0 to 23" in form.errors["hour"][0]
    body = response.content.decode()
    assert 'name="hour" value="24"' in body
    assert re.search(r'<option value="weekly" selected>', body)
    assert not AlertPreference.objects.exists()


def test_unwatch_from_the_preferences_page_comes_back_to_it(world):
    watch_add(user=world.client_member, contract=world.contract)
    response = signed_in(world.client_member).post(
        reverse("contract-watch", args=[world.contract.pk]),
        {"action": "unwatch", "next": reverse("alert-preferences")},
    )
    assert response["Location"] == reverse("alert-preferences")
    assert not Watch.objects.exists()


# Watch buttons


def test_contract_page_shows_the_watch_button_and_links_reminder_rules(world):
    watch_contract = reverse("contract-watch", args=[world.contract.pk])
    client = signed_in(world.client_viewer)
    html = client.get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    ).content.decode()
    assert f'action="{watch_contract}"' in html and 'value="watch"' in html
    client.post(watch_contract, {"action": "watch"})
    html = client.get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    ).content.decode()
    assert 'value="unwatch"' in html
    assert f'href="{reverse("contract-reminder-rule", args=[world.contract.pk])}"' in html


def test_milestone_page_shows_the_watch_button_and_links_reminder_rules(world):
    milestone = world.deliverable()
    html = (
        signed_in(world.client_viewer)
        .get(reverse("milestones:milestone-detail", args=[milestone.pk]))
        .content.decode()
    )
    assert f'action="{reverse("milestone-watch", args=[milestone.pk])}"' in html
    assert f'href="{reverse("milestone-reminder-rule", args=[milestone.pk])}"' in html


def test_watch_button_watches_and_unwatches_a_contract(world):
    client = signed_in(world.client_viewer)
    url = reverse("contract-watch", args=[world.contract.pk])
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and 'value="watch"' in partial
    response = client.post(url, {"action": "watch"})
    assert response["Location"] == reverse("reporting:contract-detail", args=[world.contract.pk])
    assert is_watching(user=world.client_viewer, contract=world.contract)
    swapped = client.post(url, {"action": "unwatch"}, headers={"HX-Request": "true"})
    assert 'value="watch"' in swapped.content.decode()
    assert not is_watching(user=world.client_viewer, contract=world.contract)


def test_watch_button_on_a_milestone_without_javascript(world):
    milestone = world.deliverable()
    client = signed_in(world.supplier_viewer)
    url = reverse("milestone-watch", args=[milestone.pk])
    assert "Watch this milestone" in client.get(url).content.decode()
    followed = client.post(url, {"action": "watch"}, follow=True)
    assert "You are watching this milestone" in followed.content.decode()
    assert is_watching(user=world.supplier_viewer, milestone=milestone)


def test_watch_button_is_404_for_outsiders(world):
    milestone = world.deliverable()
    client = signed_in(world.outsider)
    assert (
        client.post(
            reverse("contract-watch", args=[world.contract.pk]), {"action": "watch"}
        ).status_code
        == 404
    )
    assert client.get(reverse("milestone-watch", args=[milestone.pk])).status_code == 404
    assert not Watch.objects.exists()


# API


def test_api_lists_own_notifications_a_page_at_a_time(world):
    user = world.client_member
    rows = [note(user, summary=f"n{i}") for i in range(3)]
    rows[0].read_at = timezone.now()
    rows[0].save(update_fields=["read_at"])
    note(world.client_manager)
    client = signed_in(user)
    page = client.get(f"{API}/notifications", {"limit": 2}).json()
    assert [i["summary"] for i in page["items"]] == ["n2", "n1"]
    assert (page["count"], page["next_offset"]) == (3, 2)
    rest = client.get(f"{API}/notifications", {"limit": 2, "offset": 2}).json()
    assert [i["summary"] for i in rest["items"]] == ["n0"] and rest["next_offset"] is None
    unread = client.get(f"{API}/notifications", {"unread": "true"}).json()
    assert unread["count"] == 2
    assert client.get(f"{API}/notifications", {"limit": 0}).json()["error"]["field"] == "limit"


def test_api_unread_count(world):
    note(world.client_member)
    assert signed_in(world.client_member).get(f"{API}/notifications/unread-count").json() == {
        "unread": 1
    }
    assert Client().get(f"{API}/notifications/unread-count").status_code == 401


def test_api_marks_own_notification_read_and_not_anothers(world):
    mine = note(world.client_member)
    theirs = note(world.client_manager)
    client = signed_in(world.client_member)
    response = client.post(f"{API}/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    assert client.post(f"{API}/notifications/{theirs.pk}/read").status_code == 404


def test_api_marks_all_read(world):
    note(world.client_member)
    note(world.client_manager)
    response = signed_in(world.client_member).post(f"{API}/notifications/read-all")
    assert response.json() == {"marked": 1}
    assert unread_count(user=world.client_manager) == 1
    assert Client().post(f"{API}/notifications/read-all").status_code == 401


def test_api_reads_and_changes_own_preferences(world):
    client = signed_in(world.client_member)
    assert client.get(f"{API}/me/alert-preferences").json() == {
        "email": True,
        "inapp": True,
        "digest": "off",
        "hour": 8,
        "digest_weekday": 0,
        "time_zone": "Europe/London",
    }
    changed = client.patch(
        f"{API}/me/alert-preferences", {"digest": "daily"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["digest"] == "daily"


def test_api_refuses_hour_24_naming_the_field(world):
    response = signed_in(world.client_member).patch(
        f"{API}/me/alert-preferences", {"hour": 24}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_hour"
    assert response.json()["error"]["field"] == "hour"
    assert Client().get(f"{API}/me/alert-preferences").status_code == 401


def test_api_watches_a_contract_and_lists_it(world):
    client = signed_in(world.client_viewer)
    url = f"{API}/contracts/{world.contract.pk}/watch"
    created = client.post(url)
    assert created.status_code == 200 and created.json()["contract_id"] == world.contract.pk
    listed = client.get(f"{API}/me/watches").json()
    assert [w["contract_id"] for w in listed["contracts"]] == [world.contract.pk]
    assert listed["milestones"] == []
    assert client.delete(url).status_code == 204
    assert client.get(f"{API}/me/watches").json() == {"contracts": [], "milestones": []}


def test_api_contract_watch_is_404_for_outsiders(world):
    client = signed_in(world.outsider)
    url = f"{API}/contracts/{world.contract.pk}/watch"
    assert client.post(url).status_code == 404
    assert client.delete(url).status_code == 404


def test_api_watches_and_unwatches_a_milestone(world):
    milestone = world.deliverable()
    client = signed_in(world.supplier_member)
    url = f"{API}/milestones/{milestone.pk}/watch"
    watched = client.post(url).json()
    assert (watched["milestone_id"], watched["contract_id"]) == (milestone.pk, world.contract.pk)
    assert [w["milestone_id"] for w in client.get(f"{API}/me/watches").json()["milestones"]] == [
        milestone.pk
    ]
    assert client.delete(url).status_code == 204
    assert not Watch.objects.exists()


def test_api_milestone_watch_is_404_for_outsiders(world):
    milestone = world.deliverable()
    client = signed_in(world.outsider)
    url = f"{API}/milestones/{milestone.pk}/watch"
    assert client.post(url).status_code == 404
    assert client.delete(url).status_code == 404
    assert Client().get(f"{API}/me/watches").status_code == 401
