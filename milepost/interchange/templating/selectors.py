"""Reads for contract templates: the built-in ones and those of the person's organisations."""

from django.db.models import QuerySet

from milepost.accounts.choices import Role
from milepost.accounts.models import Membership, Organisation, User
from milepost.contracts.selectors import organisations_known_to
from milepost.core.errors import DomainError, NotFound

from ..models import ContractTemplate
from .body import Body, body_read
from .builtins import BUILT_INS
from .services import TemplateSource


def contract_templates_for_user(*, user: User) -> QuerySet[ContractTemplate]:
    """Return the templates saved by any organisation the user belongs to (viewers too)."""
    return (
        ContractTemplate.objects.filter(organisation__memberships__user=user)
        .select_related("organisation", "created_by", "source_contract")
        .distinct()
        .order_by("name", "id")
    )


def contract_template_get_for_user(*, user: User, pk: int) -> ContractTemplate:
    """Return one saved template of the user's organisations, or raise NotFound."""
    template = contract_templates_for_user(user=user).filter(pk=pk).first()
    if template is None:
        raise NotFound("contract template")
    return template


def template_source_for_user(*, user: User, key: str) -> TemplateSource:
    """Return a built-in template by its slug or a saved one by its id, or raise NotFound."""
    built_in = BUILT_INS.get(key)
    if built_in is not None:
        return TemplateSource(built_in.slug, built_in.name, built_in.description, built_in.body)
    if not key.isdigit():
        raise NotFound("contract template")
    return template_source(contract_template_get_for_user(user=user, pk=int(key)))


NO_BODY = Body(duration_days=0, lead_role="", roles=(), milestones=())


def template_source(template: ContractTemplate) -> TemplateSource:
    """Return a saved template as something to set a contract up from.

    A body that no longer reads (saved by another version, or changed by hand) gives a source
    with no milestones and ``unusable`` saying why, so its page, rename and delete still work.
    """
    try:
        body = body_read(template.body)
    except DomainError as error:
        reason = f"This template can no longer be used: {error.message.split(': ', 1)[-1]}"
        return TemplateSource(
            str(template.pk), template.name, template.description, NO_BODY, template, reason
        )
    return TemplateSource(str(template.pk), template.name, template.description, body, template)


def template_may_change(*, user: User, template: ContractTemplate) -> bool:
    """Return whether the user manages the organisation that saved the template."""
    return template.organisation.memberships.filter(
        user=user, role__in=[Role.MANAGER, Role.ADMIN]
    ).exists()


def organisations_for_setup(*, user: User) -> QuerySet[Organisation]:
    """Return the organisations a setup page offers: the user's own and those it works with."""
    return organisations_known_to(user=user)


def people_for_setup(*, user: User) -> QuerySet[User]:
    """Return the people who may own milestones: non-viewer members of those organisations.

    An organisation named by its identifier adds none: its milestones go to the person setting
    up if a member, else to one of its managers (see ``services._check_owners``).
    """
    return (
        User.objects.filter(
            is_active=True,
            memberships__in=Membership.objects.filter(
                organisation__in=organisations_for_setup(user=user),
                role__in=[Role.MEMBER, Role.MANAGER, Role.ADMIN],
            ),
        )
        .distinct()
        .order_by("username")
    )
