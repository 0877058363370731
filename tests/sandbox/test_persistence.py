"""A sandbox with a state file survives a restart, and never writes a token in plaintext."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_users


def seeded(state_file: Path, scim_url: str) -> tuple[OktaSandbox, dict[str, str]]:
    sandbox = OktaSandbox(API_TOKEN, state_file=state_file)
    ids = {"app": sandbox.add_saml_app("Talend Cloud"), "group": sandbox.add_group("Talend Users")}
    sandbox.set_connection(ids["app"], scim_url, SCIM_TOKEN)
    sandbox.set_user_provisioning(ids["app"], create=True, update_profile=True, deactivate=True)
    ids["ann"] = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_member(ids["group"], ids["ann"])
    sandbox.assign_group(ids["app"], ids["group"], priority=3)
    ids["mapping"] = sandbox.push_group(ids["app"], ids["group"])
    return sandbox, ids


def test_a_restart_with_the_same_state_file_keeps_everything(
    tmp_path: Path, talend: RunningTalend, scim: httpx.Client
) -> None:
    state_file = tmp_path / "okta-state.json"
    first, ids = seeded(state_file, talend.scim_url)
    first.sync()
    before = first.app_user(ids["app"], ids["ann"])

    second = OktaSandbox(API_TOKEN, state_file=state_file)
    assert second.app_user(ids["app"], ids["ann"]) == before
    with (
        second.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"Authorization": f"SSWS {API_TOKEN}"}) as okta,
    ):
        assert okta.get(f"/api/v1/apps/{ids['app']}").json()["label"] == "Talend Cloud"
        assert okta.get(f"/api/v1/apps/{ids['app']}/groups/{ids['group']}").json()["priority"] == 3
        connection = okta.get(f"/api/v1/apps/{ids['app']}/connections/default").json()
        assert (connection["status"], connection["baseUrl"]) == ("ENABLED", talend.scim_url)
        mapping = okta.get(f"/api/v1/apps/{ids['app']}/group-push/mappings/{ids['mapping']}").json()
        assert mapping["sourceGroupId"] == ids["group"]
        members = okta.get(f"/api/v1/groups/{ids['group']}/users").json()
        assert [member["id"] for member in members] == [ids["ann"]]

    # The sealed SCIM token still works after the restart: a new member is provisioned.
    bob = second.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray")
    assert bob not in ids.values()  # ids keep counting from where the first run stopped
    second.add_member(ids["group"], bob)
    second.sync()
    assert {name: user["active"] for name, user in scim_users(scim).items()} == {"ann.lee": True, "bob": True}


def test_pending_provisioning_survives_a_restart(tmp_path: Path, talend: RunningTalend, scim: httpx.Client) -> None:
    state_file = tmp_path / "okta-state.json"
    seeded(state_file, talend.scim_url)  # assigned, never synced
    assert scim_users(scim) == {}
    OktaSandbox(API_TOKEN, state_file=state_file).sync()
    assert list(scim_users(scim)) == ["ann.lee"]


def test_the_state_file_holds_no_token_and_no_leftovers(tmp_path: Path, talend: RunningTalend) -> None:
    state_file = tmp_path / "okta-state.json"
    sandbox, _ = seeded(state_file, talend.scim_url)
    sandbox.sync()
    text = state_file.read_text(encoding="utf-8")
    json.loads(text)  # complete JSON, written atomically
    assert SCIM_TOKEN not in text
    assert API_TOKEN not in text
    assert [path.name for path in tmp_path.iterdir()] == ["okta-state.json"]  # no temp files left behind


def test_another_api_token_cannot_use_the_sealed_scim_token(tmp_path: Path, talend: RunningTalend) -> None:
    state_file = tmp_path / "okta-state.json"
    _, ids = seeded(state_file, talend.scim_url)
    stranger = OktaSandbox("another-api-token", state_file=state_file)
    stranger.sync()
    assert (stranger.app_user(ids["app"], ids["ann"]) or {})["syncState"] == "ERROR"
    assert "token is missing" in (stranger.sync_error(ids["app"], ids["ann"]) or "")


def test_bulk_seeding_writes_once_at_the_end(tmp_path: Path) -> None:
    state_file = tmp_path / "okta-state.json"
    sandbox = OktaSandbox(API_TOKEN, state_file=state_file)
    with sandbox.bulk():
        group = sandbox.add_group("Everyone at Corp")
        for n in range(200):
            sandbox.add_member(group, sandbox.add_user(f"u{n}@corp.example", f"u{n}@corp.example"))
        assert not state_file.exists()
    restored = OktaSandbox(API_TOKEN, state_file=state_file)
    app_id = restored.add_saml_app("Talend Cloud")
    restored.assign_group(app_id, group)
    assert len(json.loads(state_file.read_text(encoding="utf-8"))["apps"][app_id]["users"]) == 200
