"""The refusal check reads the whole database: any write to any table shows, and nothing else."""

import pytest

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership
from milepost.core.errors import DomainError
from milepost.schedule.models import Milestone

from .helpers import refused, stored_rows


def refuse() -> None:
    raise DomainError("refused", "Nothing to do.", field="title")


def test_a_refusal_that_writes_nothing_passes_and_the_reading_does_not_depend_on_order(world):
    world.deliverable("First")
    world.deliverable("Second")
    before = stored_rows()
    assert len(before["schedule.Milestone"]) == 2
    assert any("First" in row for row in before["schedule.Milestone"])
    with refused("refused", "title"):
        refuse()
    assert stored_rows() == before


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda m: Milestone.objects.filter(pk=m.pk).update(title="Renamed"), id="update"
        ),
        pytest.param(
            lambda m: Milestone.objects.filter(pk=m.pk).update(accepting_party=None),
            id="update-to-null",
        ),
        pytest.param(lambda m: Membership.objects.filter(user=m.owner).delete(), id="delete"),
        pytest.param(
            lambda m: Membership.objects.create(
                user=m.owner, organisation=m.accepting_party.organisation, role=Role.VIEWER
            ),
            id="insert",
        ),
    ],
)
def test_any_write_in_a_refused_block_fails_the_check(world, write):
    milestone = world.deliverable()

    def written_then_refused() -> None:
        write(milestone)
        refuse()

    with pytest.raises(AssertionError, match="written to"), refused("refused", "title"):
        written_then_refused()
