"""Every page and action: allowed for a party's user, 404 for anyone else."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from milepost.accounts.models import User
from milepost.approvals.models import GateDecision
from milepost.approvals.services import gate_create
from milepost.audit.models import Event
from milepost.contracts.models import Contract
from milepost.operations.demo import demo_load
from milepost.payments.services import payment_milestone_create
from milepost.performance.services import performance_milestone_create
from milepost.schedule.acceptance import deliverable_accept
from milepost.schedule.choices import MilestoneKind, MilestoneStatus
from milepost.schedule.models import Comment, Evidence, Milestone, StatusUpdate
from milepost.schedule.records import evidence_add
from milepost.schedule.services import milestone_set_status

from .conftest import PASSWORD


def test_pages_need_a_signed_in_user(client, world):
    response = client.get(reverse("reporting:contract-detail", args=[world.contract.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_in_page_accepts_a_valid_login_and_lands_on_the_dashboard(client, world):
    response = client.post(
        reverse("login"), {"username": "cora", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("reporting:dashboard")
    assert b"HCC-2026-001" in response.content


def test_contract_page_pages_through_its_milestone_table(login, world, monkeypatch):
    from milepost.reporting import views

    monkeypatch.setattr(views, "MILESTONE_PAGE", 2)
    for n in range(3):
        world.deliverable(f"Package {n}", due_date=world.today + dt.timedelta(days=10 + n))
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    first = login(world.client_viewer).get(url).content.decode()
    second = login(world.client_viewer).get(url, {"page": 2}).content.decode()

    def table(page):
        start = page.index('id="milestones"')
        return page[start : page.index("</table>", start)]

    assert "Package 0" in table(first) and "Package 2" not in table(first)
    assert "Page 1 of 2 (3 milestones)" in first
    assert "Package 2" in table(second)


def test_contract_page_filters_its_milestone_table_and_pages_keep_the_filter(
    login, world, monkeypatch
):
    from milepost.reporting import views

    monkeypatch.setattr(views, "MILESTONE_PAGE", 2)
    for n in range(3):
        world.deliverable(f"Package {n}", due_date=world.today + dt.timedelta(days=10 + n))
    world.deliverable(
        "Handover",
        responsible_party=world.client,
        accepting_party=world.supplier,
        owner=world.client_member,
        actor=world.client_manager,
    )
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    client = login(world.client_viewer)

    def table(response):
        page = response.content.decode()
        start = page.index('id="milestones"')
        return page[start : page.index("</table>", start)]

    mine = client.get(url, {"party": world.client.pk})
    assert "Handover" in table(mine) and "Package" not in table(mine)
    assert "1 milestone match the filters" in table(mine)

    first = client.get(url, {"q": "package"})
    assert "Page 1 of 2 (3 milestones)" in first.content.decode()
    assert "q=package&amp;page=2" in first.content.decode()
    second = client.get(url, {"q": "package", "page": 2})
    assert "Package 2" in table(second) and "Handover" not in table(second)

    refused = client.get(url, {"kind": "meeting"})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert "No milestones match the filters." in table(refused)


def test_contract_page_pages_its_payment_schedule_with_totals_over_all(login, world, monkeypatch):
    from milepost.reporting import views

    monkeypatch.setattr(views, "PAYMENT_PAGE", 2)
    trigger = world.deliverable()
    for n, share in enumerate(("10", "20", "30")):
        payment_milestone_create(
            contract=world.contract,
            title=f"Stage {n + 1} payment",
            owner=world.client_manager,
            due_date=world.today + dt.timedelta(days=40 + n),
            payer=world.client,
            payee=world.supplier,
            trigger=trigger,
            percentage=share,
            actor=world.client_manager,
        )
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    client = login(world.client_viewer)

    def schedule(response):
        page = response.content.decode()
        start = page.index('id="payments"')
        return page[start : page.index("</nav>", start)]

    first = schedule(client.get(url, {"zoom": "year"}))
    assert "Stage 1 payment" in first and "Stage 3 payment" not in first
    assert "Page 1 of 2 (3 payments; the totals are over all of them)" in first
    assert "£600,000.00" in first  # 60% of the value, though this page shows 30%
    assert "?zoom=year&amp;payments_page=2#payments" in first
    second = schedule(client.get(url, {"payments_page": 2}))
    assert "Stage 3 payment" in second and "Stage 1 payment" not in second


def test_contract_page_shows_how_far_the_contract_has_come(login, world):
    url = reverse("reporting:contract-detail", args=[world.contract.pk])
    assert "No milestones yet" in login(world.client_viewer).get(url).content.decode()
    done = world.deliverable("Survey")
    deliverable_accept(milestone=done, actor=world.client_manager)
    world.deliverable("Foundations")
    # Due before today and still open: overdue.
    late = world.deliverable("Scaffold", due_date=world.today - dt.timedelta(days=3))
    cancelled = world.deliverable("Dropped")
    milestone_set_status(
        milestone=cancelled, status="cancelled", reason="Out of scope", actor=world.client_manager
    )
    progress = login(world.client_viewer).get(url).context["progress"]
    assert (progress.total, progress.done, progress.overdue, progress.done_percent) == (3, 1, 1, 33)
    body = login(world.client_viewer).get(url).content.decode()
    assert "1 of 3 milestones done (33%)" in body
    assert f"?contract={world.contract.pk}&amp;overdue=true" in body and "1 overdue" in body
    assert late.title in body


def test_contract_list_shows_only_contracts_of_the_users_organisations(login, world):
    assert (
        b"HCC-2026-001"
        in login(world.client_viewer).get(reverse("reporting:contract-list")).content
    )
    assert (
        b"HCC-2026-001" not in login(world.outsider).get(reverse("reporting:contract-list")).content
    )


def test_contract_page_shows_parties_and_milestones_with_health(login, world):
    world.deliverable("Foundations poured")
    response = login(world.client_viewer).get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Northgate Construction" in body and "Arden Project Management" in body
    assert "Foundations poured" in body and "health-on_track" in body


def test_contract_page_is_404_for_an_unrelated_organisation(login, world):
    response = login(world.outsider).get(
        reverse("reporting:contract-detail", args=[world.contract.pk])
    )
    assert response.status_code == 404


def test_milestone_page_shows_fields_and_is_404_for_outsiders(login, world):
    milestone = world.deliverable()
    url = reverse("milestones:milestone-detail", args=[milestone.pk])
    ok = login(world.supplier_viewer).get(url)
    assert ok.status_code == 200
    assert b"Engineer&#x27;s inspection certificate signed." in ok.content
    assert login(world.outsider).get(url).status_code == 404


def test_status_update_by_the_owner_moves_progress(login, world):
    milestone = world.deliverable()
    response = login(world.supplier_member).post(
        reverse("milestones:milestone-update", args=[milestone.pk]),
        {"text": "Piling done", "progress": 40},
        follow=True,
    )
    assert b"Status update posted." in response.content
    milestone.refresh_from_db()
    assert milestone.progress == 40 and milestone.status == MilestoneStatus.IN_PROGRESS


def test_status_update_by_a_viewer_is_refused_with_a_message_and_saves_nothing(login, world):
    milestone = world.deliverable()
    response = login(world.client_viewer).post(
        reverse("milestones:milestone-update", args=[milestone.pk]),
        {"text": "Hello", "progress": 10},
        follow=True,
    )
    assert b"Viewers and observers cannot change this contract." in response.content
    assert not StatusUpdate.objects.exists()


def test_invalid_form_is_refused_with_a_field_message(login, world):
    milestone = world.deliverable()
    response = login(world.supplier_member).post(
        reverse("milestones:milestone-update", args=[milestone.pk]),
        {"text": "x", "progress": 140},
        follow=True,
    )
    assert b"Progress %: Ensure this value is less than or equal to 100." in response.content
    assert not StatusUpdate.objects.exists()


def test_actions_on_a_hidden_milestone_answer_404_and_change_nothing(login, world):
    milestone = world.deliverable()
    client = login(world.outsider)
    for name, data in [
        ("milestones:milestone-update", {"text": "x"}),
        ("milestones:milestone-comment", {"text": "x"}),
        ("milestones:milestone-acceptance", {"outcome": "accept"}),
        ("milestones:milestone-status", {"status": "waived", "reason": "x"}),
        ("milestones:milestone-reschedule", {"due_date": "2030-01-01", "reason": "x"}),
        ("approvals:gate-decision", {"party": world.client.pk, "decision": "approve"}),
        ("payments:payment-invoice", {"invoiced_on": "2026-01-01", "amount": "1"}),
        ("payments:payment-paid", {"paid_on": "2026-01-01", "amount": "1"}),
        ("performance:measurement", {"period_start": "2026-01-01", "value": "1"}),
    ]:
        assert client.post(reverse(name, args=[milestone.pk]), data).status_code == 404, name
    assert not Comment.objects.exists() and not StatusUpdate.objects.exists()
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.SCHEDULED


def test_comment_by_a_member_of_the_client_is_added(login, world):
    milestone = world.deliverable()
    login(world.client_member).post(
        reverse("milestones:milestone-comment", args=[milestone.pk]), {"text": "Looks good"}
    )
    assert Comment.objects.get().text == "Looks good"


def test_evidence_upload_and_download_round_trip_with_access_check(login, world):
    milestone = world.deliverable()
    client = login(world.supplier_member)
    upload = SimpleUploadedFile(
        "certificate.pdf", b"%PDF-1.4 signed", content_type="application/pdf"
    )
    client.post(reverse("milestones:milestone-evidence", args=[milestone.pk]), {"file": upload})
    evidence = Evidence.objects.get()
    url = reverse("milestones:evidence-download", args=[milestone.pk, evidence.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"
    assert "attachment" in response["Content-Disposition"]
    assert login(world.outsider).get(url).status_code == 404


def test_evidence_of_a_wrong_type_is_refused_with_a_message(login, world):
    milestone = world.deliverable()
    upload = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    response = login(world.supplier_member).post(
        reverse("milestones:milestone-evidence", args=[milestone.pk]), {"file": upload}, follow=True
    )
    assert b"Files of type &#x27;.exe&#x27; are not accepted" in response.content
    assert not Evidence.objects.exists()


def test_acceptance_by_the_receiving_party_meets_the_deliverable(login, world):
    milestone = world.deliverable()
    login(world.client_manager).post(
        reverse("milestones:milestone-acceptance", args=[milestone.pk]), {"outcome": "accept"}
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.MET


def test_acceptance_by_the_supplier_is_refused(login, world):
    milestone = world.deliverable()
    response = login(world.supplier_manager).post(
        reverse("milestones:milestone-acceptance", args=[milestone.pk]),
        {"outcome": "accept"},
        follow=True,
    )
    assert b"receiving party" in response.content
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.SCHEDULED


def test_gate_passes_after_each_required_party_approves_on_the_web(login, world, client):
    gate = gate_create(
        contract=world.contract,
        title="Site access",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=5),
        required_parties=[world.client, world.consultant],
        acceptance_criteria="Hoarding up.",
        actor=world.client_manager,
    )
    url = reverse("approvals:gate-decision", args=[gate.pk])
    page = (
        login(world.client_manager)
        .get(reverse("milestones:milestone-detail", args=[gate.pk]))
        .content.decode()
    )
    assert "Decide for Harbour City Council" in page and "Decide for Arden" not in page
    client.post(url, {"party": world.client.pk, "decision": "approve"})
    client.logout()
    login(world.consultant_manager).post(url, {"party": world.consultant.pk, "decision": "approve"})
    gate.refresh_from_db()
    assert gate.status == MilestoneStatus.MET
    assert GateDecision.objects.filter(milestone=gate).count() == 2


def test_gate_decision_for_another_party_is_refused(login, world):
    gate = gate_create(
        contract=world.contract,
        title="Site access",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=5),
        required_parties=[world.consultant],
        acceptance_criteria="Hoarding up.",
        actor=world.client_manager,
    )
    response = login(world.client_manager).post(
        reverse("approvals:gate-decision", args=[gate.pk]),
        {"party": world.consultant.pk, "decision": "approve"},
        follow=True,
    )
    assert (
        b"Only a manager or admin of Arden Project Management may decide for it."
        in response.content
    )
    assert not GateDecision.objects.exists()


def test_payment_invoice_and_payment_recorded_on_the_web_meet_the_payment(login, world):
    trigger = world.deliverable()
    deliverable_accept(milestone=trigger, actor=world.client_manager)
    payment = payment_milestone_create(
        contract=world.contract,
        title="Stage payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=30),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        percentage="30",
        actor=world.client_manager,
    )
    today = world.today.isoformat()
    login(world.supplier_manager).post(
        reverse("payments:payment-invoice", args=[payment.pk]),
        {"invoiced_on": today, "amount": "300000.00"},
    )
    login(world.client_manager).post(
        reverse("payments:payment-paid", args=[payment.pk]),
        {"paid_on": today, "amount": "300000.00"},
    )
    payment.refresh_from_db()
    assert payment.status == MilestoneStatus.MET
    assert payment.payment.paid_amount == 300000


def test_measurement_recorded_on_the_web_updates_a_performance_milestone(login, world):
    start = world.contract.start_date  # weekly periods from the start: the first week is long over
    milestone = performance_milestone_create(
        contract=world.contract,
        title="Availability",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=start + dt.timedelta(days=200),
        kpi_name="Availability",
        unit="%",
        target="99.5",
        direction="at_least",
        period="week",
        measurement_start=start,
        actor=world.supplier_manager,
    )
    login(world.supplier_member).post(
        reverse("performance:measurement", args=[milestone.pk]),
        {"period_start": start.isoformat(), "value": "99.9"},
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS
    assert milestone.kpi.measurements.count() == 1

    # A second week misses the target; the chart draws both against the target line.
    login(world.supplier_member).post(
        reverse("performance:measurement", args=[milestone.pk]),
        {"period_start": (start + dt.timedelta(days=7)).isoformat(), "value": "97"},
    )
    page = login(world.client_viewer).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )
    chart = page.context["chart"]
    assert [(bar.measurement.value, bar.passed) for bar in chart.bars] == [
        (Decimal("99.9"), True),
        (Decimal("97"), False),
    ]
    # Higher values stand taller, and the target line sits between the two bars' tops.
    assert chart.bars[0].height > chart.bars[1].height
    assert chart.bars[0].y < chart.target_y < chart.bars[1].y
    body = page.content.decode()
    assert "1 of 2 periods on target" in body
    assert "97 %, missed" in body and "99.9 %, on target" in body


def test_manager_reschedules_and_the_baseline_stays(login, world):
    milestone = world.deliverable()
    baseline = milestone.baseline_due_date
    new_date = baseline + dt.timedelta(days=14)
    login(world.supplier_manager).post(
        reverse("milestones:milestone-reschedule", args=[milestone.pk]),
        {"due_date": new_date.isoformat(), "reason": "Crane unavailable"},
    )
    milestone.refresh_from_db()
    assert milestone.due_date == new_date and milestone.baseline_due_date == baseline


def _waive(client, milestone, reason="Scope removed"):
    return client.post(
        reverse("milestones:milestone-status", args=[milestone.pk]),
        {"status": "waived", "reason": reason},
        follow=True,
    )


def _stage_payment(world):
    trigger = world.deliverable()
    return payment_milestone_create(
        contract=world.contract,
        title="Stage payment",
        owner=world.client_manager,
        due_date=world.today + dt.timedelta(days=30),
        payer=world.client,
        payee=world.supplier,
        trigger=trigger,
        percentage="30",
        actor=world.client_manager,
    )


def test_member_cannot_waive_a_milestone(login, world):
    milestone = world.deliverable()
    response = _waive(login(world.supplier_member), milestone, reason="n/a")
    assert (
        b"Only a manager of Harbour City Council, who would give it up, may set this milestone "
        b"to waived." in response.content
    )
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.SCHEDULED


def test_supplier_manager_cannot_waive_the_deliverable_it_owes(login, world):
    milestone = world.deliverable()
    response = _waive(login(world.supplier_manager), milestone)
    assert b"Only a manager of Harbour City Council" in response.content
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.SCHEDULED


def test_accepting_partys_manager_waives_a_deliverable_on_the_web(login, world):
    milestone = world.deliverable()
    response = _waive(login(world.client_manager), milestone)
    assert b"Status changed." in response.content
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.WAIVED
    event = Event.objects.filter(action="milestone.status_changed", milestone_id=milestone.pk)
    assert event.latest("id").after["reason"] == "Scope removed"


def test_payee_manager_waives_a_payment_through_the_status_form(login, world):
    payment = _stage_payment(world)
    response = _waive(login(world.supplier_manager), payment, reason="Settled on site")
    assert b"Status changed." in response.content
    payment.refresh_from_db()
    assert payment.status == MilestoneStatus.WAIVED


def test_payer_manager_cannot_waive_a_payment_through_the_status_form(login, world):
    payment = _stage_payment(world)
    response = _waive(login(world.client_manager), payment)
    assert b"Only a manager of Northgate Construction, who would give it up" in response.content
    payment.refresh_from_db()
    assert payment.status == MilestoneStatus.SCHEDULED


def test_gate_is_waived_through_the_status_form_by_its_required_partys_manager(login, world):
    gate = gate_create(
        contract=world.contract,
        title="Site access",
        owner=world.supplier_member,
        responsible_party=world.supplier,
        due_date=world.today + dt.timedelta(days=5),
        required_parties=[world.client],
        acceptance_criteria="Hoarding up.",
        actor=world.client_manager,
    )
    refused = _waive(login(world.supplier_manager), gate)
    assert b"Only a manager of Harbour City Council" in refused.content
    gate.refresh_from_db()
    assert gate.status == MilestoneStatus.SCHEDULED

    response = _waive(login(world.client_manager), gate, reason="Access agreed by letter")
    assert b"Status changed." in response.content
    gate.refresh_from_db()
    assert gate.status == MilestoneStatus.WAIVED


@pytest.mark.django_db
def test_every_demo_page_renders_for_its_parties(client):
    demo_load()
    for username in ("cora", "maya", "pat", "vic"):
        client.login(username=username, password="milepost-demo")
        user = User.objects.get(username=username)
        contracts = Contract.objects.filter(parties__organisation__memberships__user=user)
        assert client.get(reverse("reporting:contract-list")).status_code == 200
        for contract in contracts:
            assert (
                client.get(reverse("reporting:contract-detail", args=[contract.pk])).status_code
                == 200
            )
            for milestone in Milestone.objects.filter(contract=contract):
                assert (
                    client.get(
                        reverse("milestones:milestone-detail", args=[milestone.pk])
                    ).status_code
                    == 200
                )
        client.logout()
    assert Milestone.objects.filter(kind=MilestoneKind.PERFORMANCE).exists()


def test_contract_page_query_count_does_not_grow_with_milestones(
    login, world, django_assert_max_num_queries
):
    for n in range(25):
        milestone = world.deliverable(f"Deliverable {n}")
    evidence_add(
        milestone=milestone,
        upload=SimpleUploadedFile("a.pdf", b"%PDF"),
        actor=world.supplier_member,
    )
    client = login(world.client_manager)
    # The timeline reads the contract's baselines and days off, besides its rows and links; the
    # history's sentences read the names they need (people, contracts, milestones), one query each;
    # the summary reads the next critical date, and the update-request and report sections their
    # rounds, schedules, issued reports and subscriptions; the Money section its payment cycles.
    with django_assert_max_num_queries(28):
        assert (
            client.get(reverse("reporting:contract-detail", args=[world.contract.pk])).status_code
            == 200
        )
    # The milestone page also reads what each offered action waits for (the submission waiting
    # for a decision, the predecessors an acceptance waits for, a change already pending) and its
    # update requests, the delay damages panel its damages terms, and its citation if any.
    with django_assert_max_num_queries(30):
        assert (
            client.get(reverse("milestones:milestone-detail", args=[milestone.pk])).status_code
            == 200
        )


def test_set_status_offers_only_the_statuses_a_gate_may_take_by_hand(login, world):
    gate = gate_create(
        contract=world.contract,
        title="Site access",
        owner=world.client_manager,
        responsible_party=world.client,
        due_date=world.today + dt.timedelta(days=5),
        required_parties=[world.client],
        acceptance_criteria="Hoarding up.",
        actor=world.client_manager,
    )
    page = (
        login(world.client_manager)
        .get(reverse("milestones:milestone-detail", args=[gate.pk]))
        .content.decode()
    )
    assert '<option value="waived">' in page
    assert '<option value="cancelled">' in page
    assert '<option value="in_progress">' not in page
    assert '<option value="not_met">' not in page


@pytest.mark.django_db
def test_django_admin_works_for_operators_and_is_read_only_for_domain_rows(client):
    demo_load()
    assert client.login(username="admin", password="milepost-demo")
    for url in (
        "/admin/",
        "/admin/schedule/milestone/",
        "/admin/contracts/contract/",
        "/admin/audit/event/",
    ):
        assert client.get(url).status_code == 200, url
    milestone = Milestone.objects.first()
    assert client.get(f"/admin/schedule/milestone/{milestone.pk}/delete/").status_code == 403
    client.logout()
    client.login(username="cora", password="milepost-demo")
    assert client.get("/admin/").status_code == 302
