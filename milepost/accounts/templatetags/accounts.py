"""Template filters about what a person may do for a party."""

from django import template

from milepost.accounts.choices import Role

register = template.Library()


@register.filter
def acts_for_manager(access: object, party_id: int) -> bool:
    """Return whether the user decides for that party (manager or admin)."""
    return bool(access.acts_for(party_id, Role.MANAGER))  # type: ignore[attr-defined]
