"""Import a programme into a contract: read it into a preview, then apply the chosen tasks.

Only a manager of a party to the contract imports, into a contract that is not closed. The
preview writes nothing but the stored import; the apply reads the stored file again, re-checks
everything and writes in one transaction: new milestones (reference = the task's id), the
links kept between them, and for milestones imported before, their new dates as reschedules
(reason: the programme) or as change requests where the contract requires approval; then the
one ``import.applied`` event. Any problem refuses the whole import.
"""

import datetime as dt
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import transaction

from milepost.accounts.models import User
from milepost.contracts.models import Contract
from milepost.contracts.selectors import (
    contract_access,
    party_get_for_contract,
    people_for_contract,
)
from milepost.core.errors import DomainError
from milepost.schedule.changes import change_request_submit
from milepost.schedule.choices import MilestoneKind
from milepost.schedule.dependencies import dependency_add, dependency_update
from milepost.schedule.models import Dependency, Milestone
from milepost.schedule.planning import require_editable
from milepost.schedule.services import milestone_create, milestone_reschedule, milestone_update

from ..batches import batch_get_for_user, batch_mark_applied, batch_store, batch_upload
from ..choices import ImportKind, ImportStatus
from ..models import ImportBatch
from ..uploads import Upload
from .model import Programme
from .plan import (
    REFERENCE_MAX,
    TITLE_MAX,
    Choice,
    build_plan,
    chosen_by_default,
    default_parties,
    due_of,
    mapped,
)
from .reading import python_reads, read_programme


def _require_importer(*, contract: Contract, actor: User) -> None:
    access = contract_access(user=actor, contract=contract)
    access.require_manager()
    require_editable(contract)


def programme_summary(programme: Programme) -> dict[str, Any]:
    """What the file holds, in counts a person can check against their tool."""
    groups = Counter(task.wbs.split(".")[0] for task in programme.tasks if task.wbs)
    return {
        "format": programme.format,
        "name": programme.name,
        "calendar": programme.calendar,
        "tasks": len(programme.tasks),
        "summary_tasks": sum(1 for task in programme.tasks if task.summary),
        "milestones": programme.milestone_count,
        "links": len(programme.links),
        "resources": sorted({name for task in programme.tasks for name in task.resources}),
        # A top-level WBS code is a group worth mapping when several tasks fall under it.
        "wbs_groups": sorted(code for code, size in groups.items() if size > 1),
    }


def programme_preview(*, contract: Contract, upload: Upload, actor: User) -> ImportBatch:
    """Read a programme file and keep it with its preview until applied or discarded."""
    _require_importer(contract=contract, actor=actor)
    programme = read_programme(upload.data, upload.name)
    if not programme.tasks:
        raise DomainError("programme_empty", "The programme holds no tasks.", field="file")
    limit = int(settings.MILEPOST_IMPORT_MAX_ROWS)
    if len(programme.tasks) > limit:
        raise DomainError(
            "too_many_rows",
            f"The programme holds {len(programme.tasks):,} tasks; an import takes at most "
            f"{limit:,}.",
            field="file",
        )
    options = default_options(contract=contract, actor=actor, programme=programme)
    batch = batch_store(
        kind=ImportKind.PROGRAMME,
        upload=upload,
        actor=actor,
        preview={"summary": programme_summary(programme), "programme": programme.to_json()},
        error_count=0,
        file_format=programme.format[:32],
        contract=contract,
        options=options,
    )
    plan = programme_plan(batch=batch, actor=actor)
    batch.error_count = len(plan["errors"])
    ImportBatch.objects.filter(pk=batch.pk).update(error_count=batch.error_count)
    return batch


def default_options(*, contract: Contract, actor: User, programme: Programme) -> dict[str, Any]:
    """The choices a preview starts with: milestones chosen, the importer's party and self."""
    access = contract_access(user=actor, contract=contract)
    responsible, accepting = default_parties(contract, access)
    owners = people_for_contract(contract=contract)
    owner = (
        actor
        if responsible
        and owners.filter(
            pk=actor.pk, memberships__organisation_id=responsible.organisation_id
        ).exists()
        else None
    )
    return {
        "tasks": [task.uid for task in programme.tasks if chosen_by_default(task)],
        "responsible_party": responsible.pk if responsible else None,
        "accepting_party": accepting.pk if accepting else None,
        "owner": owner.pk if owner else None,
        "mapping": {},
    }


def _choice(*, contract: Contract, options: dict[str, Any], programme: Programme) -> Choice:
    """Check the chosen ids against the contract, naming the field of any that is not on it."""
    known = {task.uid for task in programme.tasks}
    tasks = {str(uid) for uid in options.get("tasks") or []}
    unknown = sorted(tasks - known)
    if unknown:
        raise DomainError("unknown_task", f"The programme has no task {unknown[0]}.", field="tasks")
    if not tasks:
        raise DomainError("required", "Choose at least one task to import.", field="tasks")
    people = people_for_contract(contract=contract)

    def party(value: Any, field: str):  # type: ignore[no-untyped-def]
        if not value:
            raise DomainError("required", "Choose a party.", field=field)
        return party_get_for_contract(contract=contract, pk=_int(value, field), field=field)

    def person(value: Any, field: str) -> User:
        found = people.filter(pk=_int(value, field)).first() if value else None
        if found is None:
            raise DomainError(
                "owner_not_member", "Choose an owner from the contract's parties.", field=field
            )
        return found

    mapping: dict[str, tuple[Any, User | None]] = {}
    for key, target in (options.get("mapping") or {}).items():
        target = target or {}
        mapped_party = party(target["party"], f"mapping.{key}") if target.get("party") else None
        mapped_owner = person(target["owner"], f"mapping.{key}") if target.get("owner") else None
        if mapped_party or mapped_owner:
            mapping[str(key)] = (mapped_party, mapped_owner)
    return Choice(
        tasks=tasks,
        responsible_party=party(options.get("responsible_party"), "responsible_party"),
        accepting_party=party(options.get("accepting_party"), "accepting_party"),
        owner=person(options.get("owner"), "owner"),
        mapping=mapping,
    )


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise DomainError("invalid", "Choose one of the options offered.", field=field) from error


def _programme(batch: ImportBatch) -> Programme:
    return Programme.from_json(batch.preview["programme"])


def _reread(batch: ImportBatch) -> Programme:
    """The stored file read again, so what is applied is exactly what was uploaded.

    A file only MPXJ reads keeps the reading stored with its preview (made from these same
    bytes by the server): starting a Java VM again would only cost seconds.
    """
    data = batch_upload(batch).data
    if python_reads(data):
        return read_programme(data, batch.file_name)
    return _programme(batch)


def programme_plan(
    *, batch: ImportBatch, actor: User, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The preview of ``batch`` with ``options`` (or those stored): rows, links, problems."""
    contract = batch.contract
    assert contract is not None
    access = contract_access(user=actor, contract=contract)
    access.require_manager()
    programme = _programme(batch)
    try:
        choice = _choice(contract=contract, options=options or batch.options, programme=programme)
    except DomainError as error:
        return {"rows": [], "links": [], "errors": [error.message], "counts": {}, "chosen": 0,
                "refusal": {"code": error.code, "field": error.field}}  # fmt: skip
    return build_plan(programme=programme, contract=contract, access=access, choice=choice)


@transaction.atomic
def programme_apply(
    *, batch: ImportBatch, actor: User, options: dict[str, Any] | None = None
) -> ImportBatch:
    """Write the chosen tasks, their links and the moved dates in one transaction, or nothing."""
    contract = batch.contract
    if batch.kind != ImportKind.PROGRAMME or contract is None:
        raise DomainError("invalid", "This is not a programme import.", field="batch")
    if batch.status != ImportStatus.PREVIEWED:
        raise DomainError("import_applied", "This import was applied already.", field="batch")
    _require_importer(contract=contract, actor=actor)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    options = options if options is not None else batch.options
    programme = _reread(batch)
    choice = _choice(contract=contract, options=options, programme=programme)
    access = contract_access(user=actor, contract=contract)
    plan = build_plan(programme=programme, contract=contract, access=access, choice=choice)
    if plan["errors"]:
        more = len(plan["errors"]) - 1
        raise DomainError(
            "import_invalid",
            f"The import cannot be applied: {plan['errors'][0]}"
            + (f" ({more} more problem{'s' if more > 1 else ''} on the preview.)" if more else ""),
            field="tasks",
        )
    tasks = {task.uid: task for task in programme.tasks}
    reason = f"Programme '{batch.file_name}' imported on the contract."
    by_ref: dict[str, Milestone] = {
        m.reference: m
        for m in Milestone.objects.filter(
            contract=contract, reference__in=list(choice.tasks)
        ).select_related("contract", "responsible_party__organisation")
    }
    counts = dict(plan["counts"])
    moves: list[tuple[Milestone, Any]] = []
    for row in plan["rows"]:
        if not row["chosen"]:
            continue
        task = tasks[row["uid"]]
        title = (task.name or f"Task {task.uid}")[:TITLE_MAX]
        if row["status"] == "new":
            party, owner = mapped(task, choice)
            due = due_of(task)
            assert due is not None
            by_ref[task.uid] = milestone_create(
                contract=contract,
                kind=MilestoneKind.DELIVERABLE,
                title=title,
                owner=owner,
                responsible_party=party,
                accepting_party=choice.accepting_party,
                due_date=due,
                acceptance_criteria=f"Done as the programme '{batch.file_name}' describes task "
                f"{task.uid}.",
                description=_description(task, programme),
                reference=task.uid[:REFERENCE_MAX],
                actor=actor,
            )
            continue
        current = by_ref[task.uid]
        if row.get("renamed_from"):
            milestone_update(milestone=current, actor=actor, title=title)
        if row["status"] == "moved" and row["how"] == "change request":
            moves.append((current, due_of(task)))
    # The reschedules in dependency order, each milestone read again (the links may have moved
    # it already), as the preview played them; then the change requests, from today's dates.
    for pk, day in plan["reschedules"]:
        current = Milestone.objects.select_related(
            "contract", "responsible_party__organisation", "anchor"
        ).get(pk=pk)
        if current.due_date != dt.date.fromisoformat(day):
            milestone_reschedule(
                milestone=current, due_date=dt.date.fromisoformat(day), reason=reason, actor=actor
            )
    for current, due in moves:
        current.refresh_from_db()
        if current.due_date == due:
            continue  # the links moved it there already
        change_request_submit(milestone=current, new_due_date=due, reason=reason, actor=actor)
    for link in plan["links"]:
        if link["changed_from"]:
            dependency_update(
                dependency=Dependency.objects.select_related("successor__contract").get(
                    pk=link["dependency_id"]
                ),
                type=link["type"],
                lag=link["lag"],
                working_days=link["working"],
                actor=actor,
            )
        if link["exists"]:
            continue
        dependency_add(
            predecessor=by_ref[link["predecessor"]],
            successor=by_ref[link["successor"]],
            type=link["type"],
            lag=link["lag"],
            working_days=link["working"],
            actor=actor,
        )
    batch.options = options
    ImportBatch.objects.filter(pk=batch.pk).update(options=options)
    return batch_mark_applied(batch=batch, actor=actor, counts=counts)


def _description(task: Any, programme: Programme) -> str:
    parts = [f"Imported from the programme{f' {programme.name!r}' if programme.name else ''}"]
    if task.wbs:
        parts.append(f"WBS {task.wbs}")
    if task.resources:
        parts.append("resources: " + ", ".join(task.resources))
    return "; ".join(parts) + "."


def programme_batch_get(*, user: User, pk: int) -> ImportBatch:
    """One of the user's own programme imports (404 for anyone else's)."""
    return batch_get_for_user(user=user, pk=pk, kind=ImportKind.PROGRAMME)
