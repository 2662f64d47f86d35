"""Web pages' authorization matrix: every page asks a stranger to sign in, and the pages added
for action requests, update requests and reports answer an outsider 404 for a contract's things.

The route list comes from Django's URL resolver, so a new page is covered as soon as it exists;
one that should be open without signing in must be named in ``PUBLIC`` with its reason.
"""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from milepost.communications.services import communication_create
from milepost.milestones.updates import update_round_request
from milepost.reporting.reports.issue import report_issue, report_request
from milepost.reporting.reports.subscriptions import report_subscription_create

from .conftest import World
from .helpers import signed_in, stored_rows

# Pages a person reaches without signing in, and why.
PUBLIC = {
    "login": "the sign-in page itself",
    "logout": "signing out needs no session",
    "feed-ics": "a calendar feed is read by a calendar app with the secret in its URL",
    "unsubscribe": "the signed link in an email stops that email without a password",
    "update-answer": "the signed link asks one owner for one milestone's update",
}
# Made-up values for each kind of URL argument: no such object is reached anonymously.
ARGUMENTS = {
    "pk": 1,
    "slug": "some-organisation",
    "token": "x" * 20,
    "kind": "deliverable",
    "fmt": "csv",
    "key": "uk-design-and-build",
    "which": "milestones",
    "decision": "accept",
}


def _routes(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith(("admin/", "api/")):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


WEB_ROUTES = sorted(_routes(get_resolver().url_patterns), key=lambda item: item[0])
SIGNED_IN_ROUTES = [(n, p) for n, p in WEB_ROUTES if n.rpartition(":")[2] not in PUBLIC]
PUBLIC_ROUTES = [(n, p) for n, p in WEB_ROUTES if n.rpartition(":")[2] in PUBLIC]


def _url(name: str, pattern: URLPattern) -> str:
    kwargs = {key: ARGUMENTS.get(key, 1) for key in pattern.pattern.regex.groupindex}
    return reverse(name, kwargs=kwargs)


def test_the_route_list_is_complete() -> None:
    names = {name for name, _ in WEB_ROUTES}
    assert {
        "reporting:dashboard",
        "actions-waiting",
        "milestones:update-answer",
        "milestones:milestone-submission",
    } <= names
    assert set(PUBLIC) <= {name.rpartition(":")[2] for name in names}


@pytest.mark.parametrize(
    ("name", "pattern"), SIGNED_IN_ROUTES, ids=[name for name, _ in SIGNED_IN_ROUTES]
)
def test_a_stranger_is_asked_to_sign_in_and_changes_nothing(
    world: World, name: str, pattern: URLPattern
) -> None:
    url = _url(name, pattern)
    before = stored_rows()
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        if response.status_code == 405:
            continue  # the page does not take this method at all
        assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
        assert response["Location"].startswith(reverse("login")), response["Location"]
    assert stored_rows() == before


@pytest.mark.parametrize(("name", "pattern"), PUBLIC_ROUTES, ids=[n for n, _ in PUBLIC_ROUTES])
def test_a_public_page_answers_a_stranger_without_a_sign_in_and_a_made_up_secret_finds_nothing(
    world: World, name: str, pattern: URLPattern
) -> None:
    before = stored_rows()
    response = Client().get(_url(name, pattern))
    assert response.status_code in (200, 400, 404, 405)
    if pattern.pattern.regex.groupindex:  # a secret in the URL: a made-up one finds nothing
        assert response.status_code in (400, 404)
    assert stored_rows() == before


# --- the pages of issue 15 against an outsider -------------------------------------------------


@pytest.fixture
def things(world: World) -> dict[str, int]:
    """A contract's update round and request, issued report and subscription, and a notice."""
    milestone = world.deliverable("Foundation complete")
    round_ = update_round_request(contract=world.contract, actor=world.client_manager)
    wanted = report_request(
        user=world.client_manager, report_type="contract_status", contract_id=world.contract.pk
    )
    issued = report_issue(request=wanted, actor=world.client_manager, reader=world.client_manager)
    subscription = report_subscription_create(
        contract=world.contract,
        report_type="contract_status",
        frequency="weekly",
        weekday=4,
        members=[world.client_manager.username],
        actor=world.client_manager,
    )
    notice = communication_create(
        contract=world.contract,
        kind="notice",
        subject="Confirm the hoarding line",
        actor=world.client_manager,
    )
    return {
        "contract": world.contract.pk,
        "communication": notice.pk,
        "milestone": milestone.pk,
        "round": round_.pk,
        "request": round_.requests.get().pk,
        "report": issued.pk,
        "subscription": subscription.pk,
    }


OUTSIDER_PAGES = [
    ("milestones:update-rounds", "contract", ("get", "post")),
    ("milestones:update-schedule", "contract", ("post",)),
    ("milestones:update-round", "round", ("get",)),
    ("milestones:update-request-withdraw", "request", ("post",)),
    ("milestones:milestone-submission", "milestone", ("post",)),
    ("reporting:report-detail", "report", ("get",)),
    ("reporting:report-detail-pdf", "report", ("get",)),
    ("reporting:report-subscription-new", "contract", ("get", "post")),
    ("reporting:report-subscription-delete", "subscription", ("post",)),
    ("communications:register", "contract", ("get",)),
    ("communications:register-csv", "contract", ("get",)),
    ("communications:contract-data", "contract", ("get", "post")),
    ("communications:detail", "communication", ("get",)),
    ("communications:act", "communication", ("post",)),
    ("reporting:communication-notice-pdf", "communication", ("get",)),
]


@pytest.mark.parametrize(
    ("name", "thing", "methods"), OUTSIDER_PAGES, ids=[p[0] for p in OUTSIDER_PAGES]
)
def test_an_outsider_finds_nothing_of_the_contract(
    world: World, things: dict[str, int], name: str, thing: str, methods: tuple[str, ...]
) -> None:
    url = reverse(name, args=[things[thing]])
    browser = signed_in(world.outsider)
    before = stored_rows()
    for method in methods:
        assert getattr(browser, method)(url).status_code == 404, f"{method.upper()} {url}"
    assert stored_rows() == before
    # The same page serves the contract's own people.
    assert signed_in(world.client_manager).get(url).status_code in (200, 405)


def test_an_outsider_cannot_draw_or_issue_the_contracts_report(
    world: World, things: dict[str, int]
) -> None:
    query = {"type": "contract_status", "contract": things["contract"]}
    browser = signed_in(world.outsider)
    before = stored_rows()
    preview = browser.get(reverse("reporting:report-builder"), query)
    assert world.contract.reference not in preview.content.decode()
    assert browser.get(reverse("reporting:report-pdf"), query).status_code in (404, 422)
    issued = browser.post(reverse("reporting:report-issue"), query)
    assert issued.status_code in (302, 404, 422)
    assert stored_rows() == before


def test_an_outsiders_search_and_waiting_list_show_nothing_of_the_contract(
    world: World, things: dict[str, int]
) -> None:
    browser = signed_in(world.outsider)
    for url in (reverse("reporting:search") + "?q=Harbour", reverse("actions-waiting")):
        page = browser.get(url)
        assert page.status_code == 200
        assert world.contract.reference not in page.content.decode()
        assert "Foundation complete" not in page.content.decode()
    rule = reverse("action-rule", args=[world.client_org.slug])
    assert browser.get(rule).status_code == 404
    assert browser.post(rule, {"remind_after": 1, "escalate_after": 2}).status_code == 404


# --- the pages of issue 16: another's contract, import or template is not there ----------------


@pytest.fixture
def interchange(world: World) -> dict[str, dict[str, object]]:
    """The client manager's saved template and one import of each kind, waiting in preview."""
    import datetime as dt
    from types import SimpleNamespace

    from .test_api_matrix import contract_template, ocds_import, programme_import, sheet_import

    scene = SimpleNamespace(
        world=world, days=lambda n: (world.today + dt.timedelta(days=n)).isoformat()
    )
    contract = {"pk": world.contract.pk}
    return {
        "contract": contract,
        "contract-csv": {**contract, "fmt": "csv"},
        "template": {"key": contract_template(scene)["key"]},  # type: ignore[arg-type]
        "sheet": {"pk": sheet_import(scene)["import_id"]},  # type: ignore[arg-type]
        "programme": {"pk": programme_import(scene)["import_id"]},  # type: ignore[arg-type]
        "ocds": {"pk": ocds_import(scene)["import_id"]},  # type: ignore[arg-type]
    }


ISSUE_16_PAGES = [
    ("interchange:exports-contract-milestones", "contract-csv", ("get",)),
    ("interchange:exports-contract-payments", "contract-csv", ("get",)),
    ("interchange:exports-contract-change-requests", "contract-csv", ("get",)),
    ("interchange:exports-contract-history", "contract-csv", ("get",)),
    ("interchange:ocds-export", "contract", ("get",)),
    ("interchange:sheets-milestones-upload", "contract", ("get", "post")),
    ("interchange:programmes-upload", "contract", ("get", "post")),
    ("interchange:templates-save", "contract", ("post",)),
    ("interchange:templates-detail", "template", ("get",)),
    ("interchange:templates-new-contract", "template", ("get", "post")),
    ("interchange:sheets-preview", "sheet", ("get",)),
    ("interchange:sheets-apply", "sheet", ("post",)),
    ("interchange:sheets-discard", "sheet", ("post",)),
    ("interchange:programmes-preview", "programme", ("get", "post")),
    ("interchange:ocds-import-preview", "ocds", ("get", "post")),
    ("interchange:ocds-import-discard", "ocds", ("post",)),
]


@pytest.mark.parametrize(
    ("name", "thing", "methods"), ISSUE_16_PAGES, ids=[p[0] for p in ISSUE_16_PAGES]
)
def test_an_outsider_finds_nothing_of_the_contract_its_imports_or_its_templates(
    world: World,
    interchange: dict[str, dict[str, object]],
    name: str,
    thing: str,
    methods: tuple[str, ...],
) -> None:
    url = reverse(name, kwargs=interchange[thing])
    browser = signed_in(world.outsider)
    before = stored_rows()
    for method in methods:
        assert getattr(browser, method)(url).status_code == 404, f"{method.upper()} {url}"
    assert stored_rows() == before
    # The same page serves the contract's own manager, who uploaded the imports.
    assert signed_in(world.client_manager).get(url).status_code in (200, 405)


# --- the pages of issue 18: another contract's documents and their proposals are not there ------


@pytest.fixture
def documents(world: World) -> dict[str, dict[str, object]]:
    """The contract's signed agreement, read, with its first proposal."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from milepost.extraction.services import document_upload_and_read

    text = b"2.1 The Contractor shall deliver the Stage 1 report by 31 March 2027.\n"
    document = document_upload_and_read(
        contract=world.contract,
        upload=SimpleUploadedFile("agreement.txt", text, content_type="text/plain"),
        title="Signed agreement",
        actor=world.client_manager,
    )
    proposal = document.proposals.order_by("position").first()
    assert proposal is not None
    return {
        "contract": {"pk": world.contract.pk},
        "document": {"pk": document.pk},
        "proposal": {"pk": proposal.pk},
        "decision": {"pk": proposal.pk, "decision": "accept"},
    }


ISSUE_18_PAGES = [
    ("extraction:documents", "contract", ("get", "post")),
    ("extraction:document-review", "document", ("get",)),
    ("extraction:document-file", "document", ("get",)),
    ("extraction:document-apply", "document", ("post",)),
    ("extraction:proposal-edit", "proposal", ("get", "post")),
    ("extraction:proposal-decide", "decision", ("post",)),
]


@pytest.mark.parametrize(
    ("name", "thing", "methods"), ISSUE_18_PAGES, ids=[p[0] for p in ISSUE_18_PAGES]
)
def test_an_outsider_finds_nothing_of_the_contracts_documents(
    world: World,
    documents: dict[str, dict[str, object]],
    name: str,
    thing: str,
    methods: tuple[str, ...],
) -> None:
    url = reverse(name, kwargs=documents[thing])
    browser = signed_in(world.outsider)
    before = stored_rows()
    for method in methods:
        assert getattr(browser, method)(url).status_code == 404, f"{method.upper()} {url}"
    assert stored_rows() == before
    # The same page serves the contract's own manager, who uploaded the document.
    assert signed_in(world.client_manager).get(url).status_code in (200, 405)
