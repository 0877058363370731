"""Okta's rate limits under the real engine: a 100-group drift check within the API token's share of every bucket,
and the upgrade from per-group assignment resources that unassigns no one (docs/rate-limits.md)."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from talend_okta.assignments_upgrade import per_group_urns
from talend_okta_sandbox.demo import talend_okta_command
from talend_okta_sandbox.engine import REPO
from talend_okta_sandbox.okta_limits import RateLimiter, RateLimits, bucket_of
from tests.engine.harness import PulumiProject
from tests.engine.test_deploy import GROUPS, TALEND_TOKEN, Org, configure, name_of, sandbox_org, steps, type_of

PER_GROUP_RELEASE = Path(__file__).parent / "per_group_release.py"
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def team(count: int) -> list[dict[str, Any]]:
    """`count` groups, every other one pushed."""
    return [{"name": f"Talend Team {i:03d}", "push": i % 2 == 0} for i in range(count)]


@contextmanager
def org_with_teams(count: int) -> Iterator[Org]:
    """The sandbox org with `count` groups of one member each (and no limits yet: the setup is not measured)."""
    with sandbox_org("supported", seed=False) as org:
        org.sandbox.rate_limiter = RateLimiter(RateLimits.unlimited())
        with org.sandbox.bulk():
            for group in team(count):
                group_id = org.sandbox.add_group(group["name"])
                login = group["name"].lower().replace(" ", ".") + "@acme.example"
                org.sandbox.add_member(group_id, org.sandbox.add_user(login, login))
                org.group_ids[group["name"]] = group_id
        yield org


def sent_since(org: Org, start: int) -> Counter[str]:
    """Requests per rate-limit bucket since the `start`-th request."""
    return Counter(bucket_of(method, target.split("?")[0]) for method, target in org.sandbox.requests[start:])


def test_a_drift_check_of_100_groups_half_pushed_stays_within_the_token_share(project: PulumiProject) -> None:
    limits = RateLimits()  # Okta's Enterprise plan, the API token's default 50% share
    with org_with_teams(100) as org:
        configure(project, org, groups=team(100))
        project.run("up", "--yes", "--skip-preview")

        org.sandbox.rate_limiter = RateLimiter(limits)
        start = len(org.sandbox.requests)
        project.run("preview", "--refresh", "--expect-no-changes")

        assert org.sandbox.throttled == []
        sent = sent_since(org, start)
        assert {bucket: count for bucket, count in sent.items() if count > limits.token_limit(bucket)} == {}
        assert sent["apps"] <= 10  # 154 with a resource per assignment and per push group

        # Still a drift check: a group unassigned by hand is caught, under the same limits.
        app_id = project.outputs()["appId"]
        org.okta.delete(f"/api/v1/apps/{app_id}/groups/{org.group_ids['Talend Team 042']}").raise_for_status()
        drift = project.run("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
        assert drift.code != 0
        assert "Talend Team 042" in drift.output
        assert org.sandbox.throttled == []


def use_program(project: PulumiProject, program: Path | None) -> None:
    """Point the project at another program (None: the repository's `stack/`)."""
    link = project.project / "stack"
    link.unlink()
    if program is None:
        link.symlink_to(REPO / "stack", target_is_directory=True)
        return
    folder = project.root / "per-group-release"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(program, folder / "__main__.py")
    (folder / "talend_cloud_app.py").symlink_to(REPO / "stack" / "talend_cloud_app.py")
    link.symlink_to(folder, target_is_directory=True)


def okta_holds(org: Org, app_id: str) -> dict[str, Any]:
    """What people's access depends on: assigned groups and priorities, push mappings, app users and their state."""
    users = org.get(f"/api/v1/apps/{app_id}/users?limit=500")
    return {
        "groups": sorted((g["id"], g.get("priority")) for g in org.get(f"/api/v1/apps/{app_id}/groups")),
        "mappings": sorted(
            (m["id"], m["sourceGroupId"], m["status"]) for m in org.get(f"/api/v1/apps/{app_id}/group-push/mappings")
        ),
        "users": sorted((u["id"], u["status"], u.get("externalId")) for u in users),
    }


def talend_active(org: Org) -> dict[str, bool]:
    """Talend's SCIM users: userName → active."""
    with httpx.Client(base_url=org.talend.scim_url, headers={"Authorization": f"Bearer {TALEND_TOKEN}"}) as scim:
        users = scim.get("/Users", params={"count": 1000}).json().get("Resources", [])
    return {user["userName"]: user["active"] for user in users}


def check_plan(project: PulumiProject) -> subprocess.CompletedProcess[str]:
    """`pulumi preview --json | talend-okta check-plan -`, as the deploy workflow runs it before `pulumi up`."""
    plan = project.run("preview", "--json").output
    command = [*talend_okta_command(), "check-plan", "-"]
    return subprocess.run(command, input=plan, capture_output=True, text=True, timeout=60, check=False)


def test_upgrading_from_per_group_resources_unassigns_no_one(project: PulumiProject) -> None:
    with sandbox_org("supported") as org:
        use_program(project, PER_GROUP_RELEASE)
        configure(project, org)
        project.run("up", "--yes", "--skip-preview")
        app_id = project.outputs()["appId"]
        assert org.sandbox.wait_for_sync(30)
        before = okta_holds(org, app_id)
        assert len(before["groups"]) == len(GROUPS)
        assert before["mappings"]
        assert before["users"]
        in_talend = talend_active(org)
        assert list(in_talend.values()) == [True] * len(before["users"])

        use_program(project, None)
        # Without the upgrade step, the new program's plan deletes every per-group resource: that would unassign.
        # `talend-okta check-plan` (the workflows run it before `pulumi up`) refuses that plan, naming each group.
        refused = check_plan(project)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        for group in GROUPS:
            assert f"GroupAssignment talend-assign-{group['name']}: unassigns group " in refused.stdout
        assert "python -m talend_okta.assignments_upgrade" in refused.stdout
        unguarded = {(s["op"], type_of(s["urn"]), name_of(s["urn"])) for s in steps(project) if s["op"] == "delete"}
        assert unguarded == {
            ("delete", "okta:app/groupAssignment:GroupAssignment", f"talend-assign-{g['name']}") for g in GROUPS
        } | {("delete", "okta:index/pushGroup:PushGroup", f"talend-push-{g['name']}") for g in GROUPS if g["push"]}

        # The upgrade (docs/rate-limits.md): the per-group resources leave the state only, then `pulumi up`.
        urns = per_group_urns(project.run("stack", "export").json())
        assert len(urns) == len(unguarded)
        project.run("state", "remove", "--yes", *urns)
        planned = {(s["op"], name_of(s["urn"])) for s in steps(project) if s["op"] != "same"}
        assert planned == {("create", "talend-assignments"), ("create", "talend-push-groups")}
        passed = check_plan(project)
        assert passed.returncode == 0, passed.stdout + passed.stderr

        start = len(org.sandbox.requests)
        project.run("up", "--yes", "--skip-preview")
        assert org.sandbox.wait_for_sync(30)
        writes = [(method, target) for method, target in org.sandbox.requests[start:] if method in WRITES]
        assert writes == []  # every assignment and mapping adopted as it was: nothing re-created, nothing removed
        assert okta_holds(org, app_id) == before
        assert talend_active(org) == in_talend  # no one deactivated, no one re-created
        project.run("preview", "--refresh", "--expect-no-changes")
        assert per_group_urns(project.run("stack", "export").json()) == []
        assert org.sandbox.throttled == []


def test_a_first_up_beyond_the_apps_share_paces_itself(project: PulumiProject) -> None:
    """More writes than the token may send in a minute: the first up waits for the next window and succeeds."""
    count = 60  # about 100 requests to the apps bucket, where the token may send 50 a minute
    with org_with_teams(count) as org:
        org.sandbox.rate_limiter = RateLimiter(RateLimits())
        configure(project, org, groups=team(count))
        project.run("up", "--yes", "--skip-preview", timeout=900)
        app_id = project.outputs()["appId"]
        limiter = org.sandbox.rate_limiter
        # An admin reading later: with the resources' read back the up may have used this minute's share up.
        org.sandbox.rate_limiter = RateLimiter(RateLimits.unlimited())
        assert len(org.get(f"/api/v1/apps/{app_id}/groups?limit=200")) == count
        org.sandbox.rate_limiter = limiter
        project.run("preview", "--refresh", "--expect-no-changes", timeout=600)
        assert org.sandbox.throttled  # it did go past the share, and waited
