"""A payment milestone whose terms row is missing (a damaged database) still shows: its page and
the API's detail say so, and offer no payment action."""

from django.urls import reverse

from milepost.payments.models import PaymentTerms
from milepost.schedule.models import Milestone

from .conftest import World
from .helpers import signed_in
from .test_pages_milestone import payment

MISSING = "Its payment terms are missing: no amount, payer or payee is recorded."


def damaged_payment(world: World) -> Milestone:
    milestone = payment(world, world.deliverable())
    # Data set up directly: a damaged database, where the payment lost its terms row.
    PaymentTerms.objects.filter(milestone=milestone).delete()
    return Milestone.objects.get(pk=milestone.pk)


def test_the_page_of_a_payment_without_terms_says_so_and_offers_no_payment_action(
    world: World,
) -> None:
    milestone = damaged_payment(world)

    response = signed_in(world.client_manager).get(
        reverse("milestones:milestone-detail", args=[milestone.pk])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Structure payment" in page
    assert MISSING in page
    for action in ("payments:invoice", "payments:paid", "payments:release"):
        assert "/payment/" not in page or action not in page
    assert 'action="' + f"/milestones/{milestone.pk}/payment" not in page


def test_the_page_offers_neither_the_payment_forms_nor_giving_it_up(world: World) -> None:
    milestone = damaged_payment(world)

    page = (
        signed_in(world.supplier_manager)
        .get(reverse("milestones:milestone-detail", args=[milestone.pk]))
        .content.decode()
    )

    for name in ("payments:payment-invoice", "payments:payment-paid"):
        assert reverse(name, args=[milestone.pk]) not in page
    assert f'action="{reverse("milestones:milestone-status", args=[milestone.pk])}"' not in page
    assert MISSING in page


def test_the_edit_page_of_a_payment_without_terms_edits_the_milestone_only(world: World) -> None:
    milestone = damaged_payment(world)

    response = signed_in(world.client_manager).get(
        reverse("milestones:milestone-edit", args=[milestone.pk])
    )

    assert response.status_code == 200
    assert 'name="amount"' not in response.content.decode()


def test_the_api_reads_a_payment_without_terms_and_says_its_terms_are_missing(
    world: World,
) -> None:
    milestone = damaged_payment(world)
    client = signed_in(world.client_manager)

    detail = client.get(f"/api/v1/milestones/{milestone.pk}")
    payment_terms = client.get(f"/api/v1/milestones/{milestone.pk}/payment")

    assert detail.status_code == 200
    assert detail.json()["title"] == "Structure payment"
    assert payment_terms.status_code == 422  # refused, naming what is missing; not a 500
    assert payment_terms.json()["error"]["code"] == "payment_terms_missing"
    assert payment_terms.json()["error"]["message"] == MISSING


def test_giving_up_a_payment_without_terms_is_refused_naming_what_is_missing(
    world: World,
) -> None:
    milestone = damaged_payment(world)

    response = signed_in(world.supplier_manager).post(
        reverse("milestones:milestone-status", args=[milestone.pk]),
        {"status": "waived", "reason": "Not owed after all."},
    )

    assert response.status_code != 500
    assert MISSING in response.content.decode()
    milestone.refresh_from_db()
    assert milestone.status != "waived"
