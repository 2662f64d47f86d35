"""Hardening a person or an attacker would notice: sign-in lockout, token throttling, the
Content-Security-Policy header and the production settings' deploy check."""

import base64
import hashlib
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from config.settings import base as base_settings
from milepost.accounts.services import api_token_create
from milepost.audit.models import Event

from .conftest import PASSWORD

LIMIT = 5  # AXES_FAILURE_LIMIT in the settings
LOCKED = "Too many failed sign-in attempts"


def sign_in(client: Client, path: str, username: str, password: str):
    return client.post(path, {"username": username, "password": password})


def fail(client: Client, path: str, username: str, times: int) -> list[int]:
    return [sign_in(client, path, username, "wrong-password").status_code for _ in range(times)]


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_one(world, path):
    # Given an operator (who may use either sign-in page) and a stranger guessing the password
    world.client_manager.is_staff = world.client_manager.is_superuser = True
    world.client_manager.save()
    guesser = Client()

    # When the stranger gets the password wrong as often as the limit allows
    statuses = fail(guesser, path, "cora", LIMIT)

    # Then the last guess is already answered with the lockout page, and so is the right password
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert statuses[-1] == 429
    response = sign_in(Client(), path, "cora", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in Client().session


def test_lockout_is_audited_once_when_it_begins(world):
    fail(Client(), "/login/", "cora", LIMIT + 3)

    events = Event.objects.filter(action="login.locked_out")
    assert events.count() == 1
    assert events.get().after["username"] == "cora"
    assert events.get().after["failures"] == LIMIT


def test_an_unknown_username_gets_the_same_answers_as_a_real_one(world):
    known = fail(Client(REMOTE_ADDR="10.0.0.1"), "/login/", "cora", LIMIT + 1)
    unknown = fail(Client(REMOTE_ADDR="10.0.0.2"), "/login/", "nosuchuser", LIMIT + 1)

    assert known == unknown
    locked_known = sign_in(Client(REMOTE_ADDR="10.0.0.3"), "/login/", "cora", "x").content
    locked_unknown = sign_in(Client(REMOTE_ADDR="10.0.0.4"), "/login/", "nosuchuser", "x").content
    assert locked_known == locked_unknown


def test_one_address_guessing_many_usernames_is_locked_out(world):
    # Given an address that tried a different username each time
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a1", "a2", "a3", "a4", "a5"):
        sign_in(guesser, "/login/", name, "wrong-password")

    # Then it cannot sign in as anybody, while another address still can
    assert sign_in(guesser, "/login/", "sam", PASSWORD).status_code == 429
    response = sign_in(Client(REMOTE_ADDR="198.51.100.7"), "/login/", "sam", PASSWORD)
    assert response.status_code == 302


def test_unlock_command_restores_access_and_is_audited(world):
    fail(Client(), "/login/", "cora", LIMIT)
    assert sign_in(Client(), "/login/", "cora", PASSWORD).status_code == 429

    call_command("unlock", "cora")

    assert sign_in(Client(), "/login/", "cora", PASSWORD).status_code == 302
    assert Event.objects.filter(action="login.unlocked").get().after["username"] == "cora"


def test_unlock_command_names_a_username_with_nothing_to_unlock(world):
    with pytest.raises(
        CommandError, match="No failed sign-ins or API tokens are recorded for 'cora'"
    ):
        call_command("unlock", "cora")


def test_a_successful_sign_in_clears_earlier_failures(world):
    fail(Client(), "/login/", "cora", LIMIT - 1)
    assert sign_in(Client(), "/login/", "cora", PASSWORD).status_code == 302

    statuses = fail(Client(), "/login/", "cora", LIMIT - 1)

    assert statuses == [200] * (LIMIT - 1)


TOKEN_LIMIT = base_settings.MILEPOST_TOKEN_FAILURE_LIMIT  # the production default, 20


@pytest.fixture(autouse=True)
def token_throttle(settings):
    """The limit production has (the test settings turn the throttle off for the rest)."""
    settings.MILEPOST_TOKEN_FAILURE_LIMIT = TOKEN_LIMIT


def test_guessing_bearer_tokens_is_answered_429_after_the_limit(world):
    # Given a real token and an address guessing others
    _, raw = api_token_create(user=world.client_manager, name="Export")
    guesser = "192.0.2.50"
    statuses = [
        Client(REMOTE_ADDR=guesser, HTTP_AUTHORIZATION=f"Bearer mp_guess{n}")
        .get("/api/v1/contracts")
        .status_code
        for n in range(TOKEN_LIMIT + 1)
    ]

    # Then every guess up to the limit is 401, and the next is 429 with a JSON error
    assert statuses[:TOKEN_LIMIT] == [401] * TOKEN_LIMIT
    assert statuses[TOKEN_LIMIT] == 429
    response = Client(REMOTE_ADDR=guesser, HTTP_AUTHORIZATION=f"Bearer {raw}").get(
        "/api/v1/contracts"
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert error["message"].startswith("Too many requests with an invalid API token")
    assert int(response["Retry-After"]) > 0
    # And another address with the real token is unaffected
    other = Client(REMOTE_ADDR="192.0.2.51", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.get("/api/v1/contracts").status_code == 200
    assert Event.objects.filter(action="api_token.throttled").count() == 1


def test_token_throttle_lifts_after_the_window(world, time_machine):
    _, raw = api_token_create(user=world.client_manager, name="Export")
    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    for n in range(TOKEN_LIMIT):
        Client(HTTP_AUTHORIZATION=f"Bearer mp_guess{n}").get("/api/v1/contracts")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/contracts").status_code == 429

    time_machine.move_to("2026-03-02 09:16Z", tick=False)

    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/contracts").status_code == 200


def test_unlock_command_clears_an_address_throttled_for_tokens(world):
    _, raw = api_token_create(user=world.client_manager, name="Export")
    for n in range(TOKEN_LIMIT):
        Client(HTTP_AUTHORIZATION=f"Bearer mp_guess{n}").get("/api/v1/contracts")

    call_command("unlock", "--ip", "127.0.0.1")

    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/contracts").status_code == 200


def test_client_address_behind_a_trusted_proxy_is_the_one_it_forwarded(world, settings):
    settings.MILEPOST_TRUSTED_PROXIES = 1
    spoofing = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    fail(Client(**spoofing), "/login/", "a", LIMIT)

    # The address the proxy saw is locked; the one the client made up, and the proxy, are not
    honest = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    assert sign_in(honest, "/login/", "sam", PASSWORD).status_code == 302
    same = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(same, "/login/", "sam", PASSWORD).status_code == 429


def test_a_tls_proxy_with_no_trusted_proxies_is_warned_about(settings):
    from milepost.accounts.checks import check_trusted_proxies

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.MILEPOST_TRUSTED_PROXIES = 0
    assert [w.id for w in check_trusted_proxies()] == ["milepost.W001"]

    settings.MILEPOST_TRUSTED_PROXIES = 1
    assert check_trusted_proxies() == []
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.MILEPOST_TRUSTED_PROXIES = 0
    assert check_trusted_proxies() == []


def test_production_settings_trust_one_proxy_unless_served_directly():
    # The production default counts the client address the TLS proxy forwarded
    assert deploy_check().returncode == 0

    # Served behind the proxy with no proxy trusted, every client would share its address
    direct = deploy_check(MILEPOST_TRUSTED_PROXIES="0")

    assert direct.returncode != 0
    assert "milepost.W001" in direct.stderr + direct.stdout


def test_the_timeline_style_is_allowed_by_the_policys_hash(settings):
    from milepost.reporting.timeline.svg import STYLE

    body = STYLE.removeprefix("<style>").removesuffix("</style>")
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]


@pytest.mark.parametrize("path", ["/", "/login/", "/api/v1/docs"])
def test_every_page_carries_a_strict_content_security_policy(world, client, path):
    client.force_login(world.client_manager)

    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def deploy_check(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("MILEPOST_", "DJANGO_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        MILEPOST_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        MILEPOST_ALLOWED_HOSTS="milepost.example.org",
        DATABASE_URL="sqlite:////tmp/milepost-deploy-check.sqlite3",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_safe_defaults():
    result = deploy_check()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_https_settings_come_from_the_environment():
    # An operator who terminates TLS elsewhere and turns HSTS off is warned, not silently obeyed
    result = deploy_check(MILEPOST_SSL_REDIRECT="0", MILEPOST_HSTS_SECONDS="0")

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


def test_unlock_and_axes_commands_are_reachable_as_milepost_commands(tmp_path):
    from .test_cli import run

    run(tmp_path, "migrate", "--noinput")

    nothing = run(tmp_path, "unlock", "cora", check=False)
    assert nothing.returncode != 0
    assert "No failed sign-ins or API tokens are recorded for 'cora'." in nothing.stderr
    assert "--ip" in run(tmp_path, "help", "unlock").stdout
    assert run(tmp_path, "axes_reset_username", "cora").returncode == 0


def test_an_operator_unlocks_an_account_from_the_admin_and_it_is_audited(world):
    from axes.models import AccessAttempt

    fail(Client(REMOTE_ADDR="203.0.113.5"), "/login/", "cora", LIMIT)
    operator = world.outsider
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    admin.force_login(operator)
    attempt = AccessAttempt.objects.get(username="cora")
    assert admin.get("/admin/axes/accessattempt/").status_code == 200

    admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert (
        sign_in(Client(REMOTE_ADDR="203.0.113.5"), "/login/", "cora", PASSWORD).status_code == 302
    )
    event = Event.objects.get(action="login.unlocked")
    assert event.actor == operator and event.after["username"] == "cora"


def test_deleting_one_attempt_row_in_the_admin_unlocks_the_user_from_every_browser(world):
    from axes.models import AccessAttempt

    # Given cora locked out from one address by guesses from two browsers (a row for each)
    fail(Client(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Firefox"), "/login/", "cora", 3)
    fail(Client(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Chrome"), "/login/", "cora", 2)
    assert AccessAttempt.objects.filter(username="cora").count() == 2
    browser = Client(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Chrome")
    assert sign_in(browser, "/login/", "cora", PASSWORD).status_code == 429
    operator = world.outsider
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    admin.force_login(operator)

    # When an operator deletes only one of the two rows
    one = AccessAttempt.objects.get(username="cora", user_agent="Firefox")
    admin.post(f"/admin/axes/accessattempt/{one.pk}/delete/", {"post": "yes"})

    # Then cora's lockout is lifted entirely: no row is left to count, a slip of the fingers
    # short of the limit does not lock her again, and she signs in
    assert not AccessAttempt.objects.filter(username="cora").exists()
    assert 429 not in fail(browser, "/login/", "cora", LIMIT - 1)
    assert sign_in(browser, "/login/", "cora", PASSWORD).status_code == 302
    # And the unlock is audited once, naming all her failures
    event = Event.objects.get(action="login.unlocked")
    assert event.actor == operator
    assert event.after == {"username": "cora", "ip_address": "203.0.113.5", "failures": 5}


def test_the_admins_bulk_delete_unlocks_each_username_and_address_once(world):
    from axes.models import AccessAttempt

    for agent in ("Firefox", "Chrome"):
        fail(Client(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=agent), "/login/", "cora", 1)
    fail(Client(REMOTE_ADDR="198.51.100.7"), "/login/", "sam", 1)
    operator = world.outsider
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    admin.force_login(operator)
    rows = AccessAttempt.objects.values_list("pk", flat=True)

    admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": list(rows), "post": "yes"},
    )

    assert not AccessAttempt.objects.exists()
    unlocked = Event.objects.filter(action="login.unlocked")
    assert sorted((e.after["username"], e.after["failures"]) for e in unlocked) == [
        ("cora", 2),
        ("sam", 1),
    ]
    assert all(e.actor == operator for e in unlocked)


def test_an_operator_sees_and_clears_a_throttled_address_in_the_admin(world):
    from milepost.accounts.models import ApiTokenFailure

    for n in range(TOKEN_LIMIT):
        Client(HTTP_AUTHORIZATION=f"Bearer mp_guess{n}").get("/api/v1/contracts")
    operator = world.outsider
    operator.is_staff = operator.is_superuser = True
    operator.save()
    admin = Client()
    admin.force_login(operator)
    row = ApiTokenFailure.objects.get()
    assert "127.0.0.1" in admin.get("/admin/accounts/apitokenfailure/").content.decode()

    admin.post(f"/admin/accounts/apitokenfailure/{row.pk}/delete/", {"post": "yes"})

    assert not ApiTokenFailure.objects.exists()
    assert Event.objects.get(action="login.unlocked").after["token_failures"] == TOKEN_LIMIT


def test_signing_in_to_ones_own_account_does_not_reset_guesses_at_others(world):
    # Given a guesser with an account of its own, spraying guesses at cora from one address
    guesser = Client(REMOTE_ADDR="203.0.113.77")
    for _ in range(LIMIT - 1):
        sign_in(guesser, "/login/", "cora", "wrong-password")

    # When it signs in as itself from the same address between guesses
    assert sign_in(guesser, "/login/", "otto", PASSWORD).status_code == 302
    guesser.logout()
    statuses = fail(Client(REMOTE_ADDR="198.51.100.77"), "/login/", "cora", 1)

    # Then cora's count was kept: the next guess, from anywhere, locks her account
    assert statuses == [429]


def test_addresses_whose_window_has_passed_are_forgotten(world, time_machine):
    from milepost.accounts.models import ApiTokenFailure

    time_machine.move_to("2026-03-02 09:00Z", tick=False)
    Client(REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION="Bearer mp_x").get("/api/v1/contracts")
    time_machine.move_to("2026-03-02 09:30Z", tick=False)

    Client(REMOTE_ADDR="192.0.2.2", HTTP_AUTHORIZATION="Bearer mp_y").get("/api/v1/contracts")

    assert list(ApiTokenFailure.objects.values_list("ip_address", flat=True)) == ["192.0.2.2"]
