"""`talend-okta preflight` end to end: the real CLI, the real Okta client, the Okta sandbox on loopback."""

from __future__ import annotations

import json
import re

import pytest

from tests.preflight.conftest import Org, user_names

# --- Who is created, who is deactivated ------------------------------------------------------------------------


def test_first_deploy_creates_every_member(org: Org) -> None:
    devs = org.people("acme.com", "jdoe", "asmith")
    org.group("Talend Developers", *devs)
    org.config(["Talend Developers"])

    result, report = org.report()  # stack outputs without appId: never deployed

    assert result.exit_code == 0
    assert report["app_id"] is None
    assert user_names(report["created"]) == ["asmith", "jdoe"]
    assert [p["email"] for p in report["created"]] == ["asmith@acme.com", "jdoe@acme.com"]
    assert report["deactivated"] == []
    assert report["problems"] == []
    assert any("not deployed yet" in note for note in report["notes"])
    assert [g["change"] for g in report["groups"]] == ["added"]
    assert not any(path.startswith("/api/v1/apps") for _, path in org.okta.requests)  # no app to read


def test_adding_a_group_creates_only_its_new_members(org: Org) -> None:
    jdoe, asmith, bwayne = org.people("acme.com", "jdoe", "asmith", "bwayne")
    org.group("Talend Developers", jdoe, asmith)
    org.group("Talend Operators", asmith, bwayne)  # asmith is already assigned through Developers
    org.deploy("Talend Developers")
    org.config(["Talend Developers", "Talend Operators"])

    result, report = org.report()

    assert result.exit_code == 0
    assert user_names(report["created"]) == ["bwayne"]
    assert report["deactivated"] == []
    assert report["unchanged"] == 2
    assert {g["name"]: (g["change"], g["members"]) for g in report["groups"]} == {
        "Talend Developers": ("kept", 2),
        "Talend Operators": ("added", 2),
    }


def test_removing_a_group_deactivates_only_people_no_longer_assigned(org: Org) -> None:
    jdoe, asmith, bwayne, cdirect = org.people("acme.com", "jdoe", "asmith", "bwayne", "cdirect")
    org.group("Talend Developers", jdoe, asmith)
    org.group("Talend Operators", asmith, bwayne, cdirect)
    org.deploy("Talend Developers", "Talend Operators")
    org.okta.assign_user(org.app_id, cdirect)  # also assigned directly (scope USER): stays
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 0  # 1 deactivation is under the default threshold of 10
    assert user_names(report["deactivated"]) == ["bwayne"]  # asmith is still a Developer, cdirect is direct
    assert report["deactivated"][0] == {
        "user_id": bwayne,
        "user_name": "bwayne",
        "login": "bwayne@acme.com",
        "email": "bwayne@acme.com",
        "groups": ["Talend Operators"],
    }
    assert report["created"] == []
    assert report["unchanged"] == 3
    assert {g["name"]: g["change"] for g in report["groups"]} == {
        "Talend Developers": "kept",
        "Talend Operators": "removed",
    }


def test_a_group_assigned_by_hand_outside_the_stack_is_not_a_deactivation(org: Org) -> None:
    """Assignments are non-authoritative: a deploy unassigns only groups it managed (the last assignedGroups)."""
    jdoe, asmith, bwayne = org.people("acme.com", "jdoe", "asmith", "bwayne")
    org.group("Talend Developers", jdoe)
    org.group("Finance", asmith, bwayne)
    org.group("Talend Operators", bwayne)
    org.deploy("Talend Developers", "Talend Operators")
    org.okta.assign_group(org.app_id, org.groups["Finance"])  # by hand in the admin console, never in the config
    org.config(["Talend Developers"])  # Operators leaves the config

    result, report = org.report()

    assert result.exit_code == 0
    assert report["deactivated"] == []  # bwayne stays through Finance; asmith only ever had Finance
    assert report["unchanged"] == 3
    assert {g["name"]: g["change"] for g in report["groups"]} == {
        "Talend Developers": "kept",
        "Finance": "assigned by hand",
        "Talend Operators": "removed",
    }
    assert any(
        note.startswith("Assigned by hand, outside this stack (not in the last deployment's assignedGroups): Finance.")
        for note in report["notes"]
    )
    markdown = org.preflight("--markdown", "-").stdout
    assert "| Finance | assigned by hand | 2 |" in markdown

    # Only the stack's own groups count: removing Developers deactivates jdoe, not the Finance people.
    org.config([])
    result, report = org.report()
    assert user_names(report["deactivated"]) == ["jdoe"]


def test_replacing_a_group_by_an_empty_one_deactivates_everyone(org: Org) -> None:
    people = org.people("acme.com", "jdoe", "asmith", "bwayne")
    org.group("Talend Developers", *people)
    org.group("Talend Devs")  # the renamed group, not filled yet
    org.deploy("Talend Developers")
    org.config(["Talend Devs"])

    result, report = org.report()

    assert result.exit_code == 0
    assert user_names(report["deactivated"]) == ["asmith", "bwayne", "jdoe"]
    assert {g["name"]: (g["change"], g["members"]) for g in report["groups"]} == {
        "Talend Devs": ("added", 0),
        "Talend Developers": ("removed", 3),
    }
    assert any("empty group assigns nobody" in note for note in report["notes"])


def test_an_empty_configured_group_changes_nobody(org: Org) -> None:
    (jdoe,) = org.people("acme.com", "jdoe")
    org.group("Talend Developers", jdoe)
    org.group("Talend Admins")
    org.deploy("Talend Developers", "Talend Admins")
    org.config(["Talend Developers", "Talend Admins"])

    result, report = org.report()

    assert result.exit_code == 0
    assert (report["created"], report["deactivated"], report["unchanged"]) == ([], [], 1)
    assert {g["name"]: (g["change"], g["members"]) for g in report["groups"]} == {
        "Talend Developers": ("kept", 1),
        "Talend Admins": ("kept", 0),
    }
    markdown = org.preflight("--markdown", "-").stdout
    assert "| Talend Admins | kept (empty) | 0 |" in markdown


def test_deactivated_okta_users_are_not_created(org: Org) -> None:
    (jdoe,) = org.people("acme.com", "jdoe")
    gone = org.okta.add_user("gone@acme.com", "gone@acme.com", status="DEPROVISIONED")
    org.group("Talend Developers", jdoe, gone)
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 0
    assert user_names(report["created"]) == ["jdoe"]


# --- Mass deactivation: threshold and override ----------------------------------------------------------------


@pytest.fixture
def twelve_leave(org: Org) -> Org:
    """Operators (12 people) were assigned; the config now lists only Developers."""
    org.group("Talend Developers", *org.people("acme.com", "jdoe"))
    org.group("Talend Operators", *org.people("ops.acme.com", *(f"op{n:02}" for n in range(12))))
    org.deploy("Talend Developers", "Talend Operators")
    org.config(["Talend Developers"])
    return org


def test_deactivating_more_than_the_threshold_fails(twelve_leave: Org) -> None:
    result, report = twelve_leave.report()

    assert result.exit_code == 1
    assert len(report["deactivated"]) == 12
    assert report["problems"] == [
        "12 people would be deactivated in Talend, more than --max-deactivations 10 "
        "(if intended, allow it with --allow-mass-deactivation)"
    ]
    table = twelve_leave.preflight().stdout
    assert table.startswith("preflight BLOCKED: 0 created, 12 deactivated")
    assert "Will be DEACTIVATED in Talend (12)" in table


@pytest.mark.parametrize(("limit", "code"), [("11", 1), ("12", 0), ("13", 0)])
def test_threshold_is_configurable(twelve_leave: Org, limit: str, code: int) -> None:
    result, report = twelve_leave.report("--max-deactivations", limit)
    assert result.exit_code == code
    assert len(report["deactivated"]) == 12
    assert report["max_deactivations"] == int(limit)


def test_mass_deactivation_can_be_allowed_explicitly(twelve_leave: Org) -> None:
    result, report = twelve_leave.report("--allow-mass-deactivation")

    assert result.exit_code == 0
    assert report["problems"] == []
    assert report["mass_deactivation_allowed"] is True
    markdown = twelve_leave.preflight("--allow-mass-deactivation", "--markdown", "-").stdout
    assert "> [!WARNING]" in markdown
    assert "**12 people will be deactivated in Talend** (allowed with `--allow-mass-deactivation`)" in markdown
    assert markdown.count("| `00u") == 12  # every one of them listed


def test_markdown_is_loud_about_blocked_deactivations(twelve_leave: Org) -> None:
    result = twelve_leave.preflight("--markdown", "-")

    assert result.exit_code == 1
    markdown = result.stdout
    assert markdown.startswith("<!-- talend-okta-preflight -->\n### :x: talend-okta preflight")
    assert "> [!CAUTION]\n> **This change must not be merged as is:**\n> - 12 people would be deactivated" in markdown
    assert "| 0 | **12** | 1 | 0 | 0 |" in markdown
    assert "<details open><summary>Will be deactivated (12)</summary>" in markdown
    assert "| op00 | op00@ops.acme.com | Talend Operators | `00u" in markdown  # named from the removed group
    assert "preflight BLOCKED" in result.stderr  # the table moves to stderr when stdout is the report


def test_allowing_mass_deactivation_does_not_allow_collisions(twelve_leave: Org) -> None:
    twelve_leave.group("Talend Partners", *twelve_leave.people("partner.example", "jdoe"))
    twelve_leave.config(["Talend Developers", "Talend Partners"])

    result, report = twelve_leave.report("--allow-mass-deactivation")

    assert result.exit_code == 1
    assert report["problems"] == ["userName 'jdoe' would be shared by jdoe@acme.com, jdoe@partner.example"]


# --- userName collisions and people without email --------------------------------------------------------------


def test_email_prefix_collisions_across_domains_fail(org: Org) -> None:
    jdoe_a, asmith = org.people("a.com", "jdoe", "asmith")
    (jdoe_b,) = org.people("b.com", "jdoe")
    jdoe_c = org.okta.add_user("john.doe@c.com", "JDoe@c.com")  # SCIM userName is case-insensitive
    org.group("Talend Developers", jdoe_a, asmith)
    org.group("Contractors", jdoe_b, jdoe_c)
    org.deploy("Talend Developers")
    org.config(["Talend Developers", "Contractors"])

    result, report = org.report()

    assert result.exit_code == 1
    assert len(report["collisions"]) == 1
    collision = report["collisions"][0]
    assert collision["user_name"].casefold() == "jdoe"
    assert sorted(p["email"] for p in collision["people"]) == ["JDoe@c.com", "jdoe@a.com", "jdoe@b.com"]
    assert report["problems"] == [
        f"userName {collision['user_name']!r} would be shared by " + ", ".join(p["email"] for p in collision["people"])
    ]
    assert sorted(user_names(report["created"])) == ["JDoe", "jdoe"]
    markdown = org.preflight("--markdown", "-").stdout
    assert "#### userName collisions" in markdown
    assert re.search(r"\| `jdoe` \| .*jdoe@a\.com.*jdoe@b\.com", markdown, re.IGNORECASE)


def test_collision_with_a_directly_assigned_user(org: Org) -> None:
    (direct,) = org.people("legacy.example", "asmith")
    org.group("Talend Developers")
    org.deploy("Talend Developers")
    org.okta.assign_user(org.app_id, direct)  # assigned by hand, outside the stack: stays
    org.okta.add_member(org.groups["Talend Developers"], org.people("acme.com", "jdoe")[0])
    org.group("Talend Operators", *org.people("acme.com", "asmith"))
    org.config(["Talend Developers", "Talend Operators"])

    result, report = org.report()

    assert result.exit_code == 1
    assert [c["user_name"] for c in report["collisions"]] == ["asmith"]
    people = report["collisions"][0]["people"]
    assert {p["user_id"] for p in people} >= {direct}
    assert report["deactivated"] == []


def test_usernames_talend_holds_apart_do_not_collide(org: Org) -> None:
    """`straße` and `strasse` are two Talend users (userName is lowercased, never case-folded): no collision."""
    org.group("Talend Developers", *org.people("a.example", "straße"), *org.people("b.example", "strasse"))
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 0, result.stdout
    assert report["collisions"] == []


def test_members_without_email_are_reported_but_do_not_fail(org: Org) -> None:
    (jdoe,) = org.people("acme.com", "jdoe")
    no_mail = org.okta.add_user("svc-etl", None)
    org.group("Talend Developers", jdoe, no_mail)
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 0
    assert report["without_email"] == [
        {"user_id": no_mail, "user_name": None, "login": "svc-etl", "email": None, "groups": ["Talend Developers"]},
    ]
    assert report["collisions"] == []
    assert user_names(report["created"]) == ["jdoe"]  # Okta creates nobody in Talend without an email
    table = org.preflight().stdout
    assert table.startswith("preflight OK: 1 created, 0 deactivated, 0 unchanged, 0 userName collisions, 1 without")
    assert "Without an email (no userName) (1)" in table
    assert "svc-etl" in table


def test_unknown_group_blocks(org: Org) -> None:
    org.group("Talend Developers", *org.people("acme.com", "jdoe"))
    org.deploy("Talend Developers")
    org.config(["Talend Developers", "Talend Developpers"])

    result, report = org.report()

    assert result.exit_code == 1
    assert report["problems"] == [
        "group 'Talend Developpers': no Okta group (type OKTA_GROUP) has exactly this name; "
        "close matches: 'Talend Developers'"
    ]


def test_a_near_name_is_not_the_group_and_all_groups_are_read_in_one_search(org: Org) -> None:
    """`Talend Operator` is not `Talend Operators` (pulumi-okta's lookup took the only prefix match), nor a group
    imported from an app with exactly that name; preflight says what `pulumi preview` stops on."""
    org.group("Talend Operators", *org.people("acme.com", "op"))
    org.group("Talend Developers", *org.people("acme.com", "dev"))
    org.okta.add_app_group("Talend Viewers")
    org.deploy("Talend Developers")
    org.config(["Talend Developers", "Talend Operator", "Talend Viewers"])
    start = len(org.okta.requests)

    result, report = org.report()

    assert result.exit_code == 1
    assert report["problems"] == [
        "group 'Talend Operator': no Okta group (type OKTA_GROUP) has exactly this name; "
        "close matches: 'Talend Operators'",
        "group 'Talend Viewers': no Okta group (type OKTA_GROUP) has exactly this name",
    ]
    assert user_names(report["created"]) == []  # nobody in `Talend Operators` is counted in
    searches = [target for method, target in org.okta.requests[start:] if target.startswith("/api/v1/groups?")]
    assert len(searches) == 2  # the configured names in one search; the Okta groups once, for close matches
    assert all("search=" in target for target in searches)


# --- Paging ------------------------------------------------------------------------------------------------------


def test_reads_every_page_of_members_and_app_users(org: Org) -> None:
    """1,100 app users (3 pages of 500) leave; 450 stay through a group read in 3 pages of 200."""
    with org.okta.bulk():
        everyone = [org.okta.add_user(f"user{n:04}@acme.com", f"user{n:04}@acme.com") for n in range(1100)]
        org.group("Talend Everyone", *everyone)
        org.group("Talend Developers", *everyone[:450])
        org.deploy("Talend Everyone")
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 1
    assert (len(report["created"]), len(report["deactivated"]), report["unchanged"]) == (0, 650, 450)
    assert sorted(p["user_id"] for p in report["deactivated"]) == sorted(everyone[450:])
    developers = org.groups["Talend Developers"]
    group_pages = [path for _, path in org.okta.requests if path.startswith(f"/api/v1/groups/{developers}/users")]
    app_user_pages = [path for _, path in org.okta.requests if path.startswith(f"/api/v1/apps/{org.app_id}/users")]
    assert len(group_pages) == 3
    assert len(app_user_pages) == 3
    assert all("after=" in path for path in group_pages[1:] + app_user_pages[1:])

    markdown = org.preflight("--markdown", "-").stdout
    assert "| … and 600 more (see `--json`) | | |" in markdown


# --- Groups renamed since the last deployment ---------------------------------------------------------------------


@pytest.fixture
def renamed(org: Org) -> Org:
    """Developers (3 people, bwayne also an Operator) and Operators were deployed; then Okta renamed Developers."""
    jdoe, asmith, bwayne = org.people("acme.com", "jdoe", "asmith", "bwayne")
    org.group("Talend Developers", jdoe, asmith, bwayne)
    org.group("Talend Operators", bwayne)
    org.deploy("Talend Developers", "Talend Operators")
    org.rename("Talend Developers", "Talend Devs")
    return org


@pytest.mark.parametrize(
    "devs",
    [{"name": "Talend Devs"}, {"name": "Talend Devs", "formerNames": ["Talend Developer", "talend developers"]}],
    ids=["no formerNames", "other formerNames"],
)
def test_rename_without_its_former_name_blocks(renamed: Org, devs: dict[str, object]) -> None:
    renamed.config([devs, "Talend Operators"])

    result, report = renamed.report()

    assert result.exit_code == 1
    problem = (
        "group 'Talend Devs' was assigned as 'Talend Developers' in the last deployment: add formerNames: "
        '["Talend Developers"] to it to keep its assignment, or the deploy unassigns it and deactivates 2 of its 3 '
        "members in Talend"
    )
    assert report["problems"] == [problem]
    assert report["renames"] == [
        {
            "name": "Talend Devs",
            "former_name": "Talend Developers",
            "id": renamed.groups["Talend Devs"],
            "members": 3,
            "deactivated": 2,  # bwayne stays through Talend Operators
            "in_former_names": False,
        }
    ]
    # Okta's assignment is unchanged by the rename itself: what the config plans moves nobody.
    assert (report["created"], report["deactivated"], report["unchanged"]) == ([], [], 3)
    assert {g["name"]: g["change"] for g in report["groups"]} == {"Talend Devs": "kept", "Talend Operators": "kept"}

    table = renamed.preflight().stdout
    assert table.startswith("preflight BLOCKED: 0 created, 0 deactivated, 3 unchanged")
    assert "kept, renamed from 'Talend Developers'" in table
    assert f"problem: {problem}" in table.replace("\n", " ")
    markdown = renamed.preflight("--markdown", "-").stdout
    assert f"> **This change must not be merged as is:**\n> - {problem}\n" in markdown
    assert "| Talend Devs | kept, renamed from 'Talend Developers' | 3 |" in markdown


@pytest.mark.parametrize(
    ("old", "new"), [("Talend Developers", "Talend Devs"), ("Talend Developers", "Talend developers")]
)
def test_former_names_let_a_group_be_renamed(org: Org, old: str, new: str) -> None:
    """Listed in formerNames, the old name is an alias: Pulumi renames the assignment instead of deleting it."""
    org.group(old, *org.people("acme.com", "jdoe", "asmith"))
    org.deploy(old)
    org.rename(old, new)
    org.config([{"name": new, "formerNames": [old]}])

    result, report = org.report()

    assert result.exit_code == 0, report["problems"]
    assert report["problems"] == []
    assert [(r["former_name"], r["deactivated"], r["in_former_names"]) for r in report["renames"]] == [(old, 2, True)]
    markdown = org.preflight("--markdown", "-").stdout
    assert "[!CAUTION]" not in markdown
    assert f"| {new} | kept, renamed from '{old}' | 2 |" in markdown


def test_a_case_only_rename_needs_its_former_name_too(org: Org) -> None:
    """Pulumi resource names are exact: 'talend-assign-Talend developers' is another resource."""
    org.group("Talend developers", *org.people("acme.com", "jdoe"))
    org.deploy("Talend developers")
    org.rename("Talend developers", "Talend Developers")
    org.config(["Talend Developers"])

    result, report = org.report()

    assert result.exit_code == 1
    assert report["problems"] == [
        "group 'Talend Developers' was assigned as 'Talend developers' in the last deployment: add formerNames: "
        '["Talend developers"] to it to keep its assignment, or the deploy unassigns it and deactivates its 1 '
        "member in Talend"
    ]


def test_renames_are_checked_only_with_the_apps_stack_outputs(renamed: Org) -> None:
    renamed.config(["Talend Devs", "Talend Operators"], **{"okta:httpProxy": renamed.url})

    result = renamed.preflight("--app-id", renamed.app_id, "--json", "-")  # no stack outputs

    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert report["renames"] == []
    assert any(
        note.startswith("Without the app's stack outputs, groups renamed since the last deployment are not checked")
        for note in report["notes"]
    )


def test_piped_tables_are_never_cut_and_okta_strings_are_shown_escaped(org: Org) -> None:
    """Not a terminal (a pipe, a CI log): the people a change deactivates are listed whole, not `eve.moss@acme.examp…`;
    a group name that would erase lines shows its control characters escaped."""
    forged = "Talend Ops\x1b[1A\x1b[2K"
    people = org.people("a-rather-long-domain-name.acme.example.com", "eve.moss", "bartholomew.longname")
    org.group("Talend Developers", *people)
    org.group(forged, *people)
    org.deploy("Talend Developers", forged)
    org.config([])
    result = org.preflight(env={"COLUMNS": ""})
    assert result.exit_code == 0, result.output
    assert "eve.moss@a-rather-long-domain-name.acme.example.com" in result.stdout
    assert "bartholomew.longname@a-rather-long-domain-name.acme.example.com" in result.stdout
    assert "…" not in result.stdout
    assert "\x1b" not in result.stdout
    assert "Talend Ops\\x1b[1A\\x1b[2K" in result.stdout
