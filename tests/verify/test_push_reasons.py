"""Why Okta's push failed, in verify's report: the reason Okta's System Log recorded, under the list of people whose
push failed; a log verify may not read is said, and verify still reports them."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from talend_okta.http import RetryPolicy
from talend_okta.okta_api import OktaClient
from talend_okta.push_log import push_failure_reasons
from tests.conftest import vendor_transport
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN, World, assert_no_secrets

PUSH_FIX = "fix: the reason is in Okta → Dashboard → Tasks and the System Log"


def test_the_reason_okta_recorded_is_quoted_under_the_failed_push(world: World) -> None:
    world.okta.set_connection(world.app_id, world.scim_url, "a-token-talend-refuses")
    cleo = world.person("cleo")
    world.okta.sync()
    reason = world.okta.sync_error(world.app_id, cleo)
    assert reason is not None
    assert "HTTP 401" in reason

    run = world.run(timeout="0")

    assert run.exit_code == 1
    assert run.report is not None
    users = run.report["users"]
    assert users["push_failed"] == ["cleo"]
    assert users["push_failure_reasons"] == {"cleo": reason}
    assert users["push_log_error"] is None
    lines = run.stdout.splitlines()
    listed = lines.index("    Okta's push failed (syncState ERROR) (1): cleo")
    assert lines[listed + 1] == f'      cleo: Okta recorded "{reason}"'
    assert lines[listed + 2].startswith(f"      {PUSH_FIX}")
    assert_no_secrets(run.output)


def okta_log(answers: dict[str, httpx.Response], asked: list[str]) -> OktaClient:
    """An Okta client whose System Log answers per user id (the filter names it)."""

    def answer(request: httpx.Request) -> httpx.Response:
        user_id = next(uid for uid in answers if uid in request.url.params["filter"])
        asked.append(user_id)
        return answers[user_id]

    return OktaClient(
        "https://acme.okta.com", OKTA_TOKEN, transport=vendor_transport(answer), retry=RetryPolicy(attempts=1)
    )


def failed_push(reason: str) -> httpx.Response:
    event = {
        "uuid": "e1",
        "published": "2026-12-01T10:00:00.000Z",
        "eventType": "application.provision.user.push",
        "outcome": {"result": "FAILURE", "reason": reason},
    }
    return httpx.Response(200, json=[event])


def test_a_log_the_token_may_not_read_keeps_what_was_read_and_says_why() -> None:
    """A token without System Log access (Okta answers 403 E0000006): the reasons read so far, and the refusal."""
    refused = httpx.Response(403, json={"errorCode": "E0000006", "errorSummary": "You do not have permission"})
    asked: list[str] = []
    people = {"ann": "00u1", "bob": "00u2", "cy": "00u3"}
    with okta_log(
        {"00u1": failed_push("Conflict"), "00u2": refused, "00u3": failed_push("never asked")}, asked
    ) as okta:
        reasons, error = push_failure_reasons(okta, "0oa1", people, now=datetime.now(UTC), limit=10)
    assert reasons == {"ann": "Conflict"}
    assert error is not None
    assert "403" in error
    assert asked == ["00u1", "00u2"]  # stops at the refusal
    assert SCIM_TOKEN not in error
    assert OKTA_TOKEN not in error


def test_only_the_first_few_are_read() -> None:
    asked: list[str] = []
    people = {f"p{n}": f"00u{n}" for n in range(5)}
    with okta_log({f"00u{n}": failed_push(f"reason {n}") for n in range(5)}, asked) as okta:
        reasons, error = push_failure_reasons(okta, "0oa1", people, now=datetime.now(UTC), limit=2)
    assert (reasons, error) == ({"p0": "reason 0", "p1": "reason 1"}, None)
    assert asked == ["00u0", "00u1"]
