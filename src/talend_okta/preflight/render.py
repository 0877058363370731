"""preflight's report as a terminal table, JSON and a pull-request comment (Markdown)."""

from __future__ import annotations

import json

from rich.console import Console

from talend_okta.preflight.capacity_render import capacity_markdown, print_capacity
from talend_okta.preflight.plan import GroupChange, Person, PreflightReport, who_of
from talend_okta.preflight.roles import RolePlan
from talend_okta.terminal import printable, wrapping_table
from talend_okta.wording import counted

MARKDOWN_ROWS = 50  # rows per list in a PR comment; GitHub caps a comment at 65,536 characters


def to_json(report: PreflightReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2) + "\n"


PEOPLE_COLUMNS = ("userName", "email / login", "groups", "Okta user id")


def _row(person: Person) -> tuple[str, str, str, str]:
    return (
        person.user_name or "-",
        person.email or person.login or "-",
        ", ".join(person.groups) or "-",
        person.user_id,
    )


def print_table(report: PreflightReport, console: Console) -> None:
    """The human report: a verdict line, then one table per kind of change."""
    console.print(_verdict(report), markup=False, highlight=False)
    groups = wrapping_table("group", "change", "members", title="Groups", title_justify="left")
    for group in report.groups:
        change = _change(report, group)
        groups.add_row(group.name, change, "" if group.change == "not found" else str(group.members))
    console.print(groups)
    sections: list[tuple[str, list[Person]]] = [
        ("Will be DEACTIVATED in Talend", report.deactivated),
        ("Will be created in Talend", report.created),
        ("Without an email (no userName)", report.without_email),
    ]
    for title, people in sections:
        if people:
            table = wrapping_table(*PEOPLE_COLUMNS, title=f"{title} ({len(people)})", title_justify="left")
            for person in people:
                table.add_row(*_row(person))
            console.print(table)
    if report.collisions:
        table = wrapping_table(
            "userName", "people", title=f"userName collisions ({len(report.collisions)})", title_justify="left"
        )
        for collision in report.collisions:
            table.add_row(collision.user_name, ", ".join(who_of(p) for p in collision.people))
        console.print(table)
    if report.roles is not None:
        _print_roles(report.roles, console)
    if report.capacity is not None:
        print_capacity(report.capacity, console)
    for line in report.problems:
        console.print(f"problem: {line}", markup=False, highlight=False)
    for line in [*report.notes, *(report.roles.notes() if report.roles else [])]:
        console.print(f"note: {line}", markup=False, highlight=False)


def _print_roles(roles: RolePlan, console: Console) -> None:
    """Role mappings the deploy replaces (Talend's API replaces them all), and who gains or loses which role."""
    if roles.mappings:
        table = wrapping_table("customer role", "change", "Talend roles now", "after the deploy", title_justify="left")
        table.title = f"Talend role mappings (compared with {roles.compared_with}; the deploy replaces them all)"
        for mapping in roles.mappings:
            change = "REMOVED" if mapping.change == "removed" else mapping.change
            table.add_row(mapping.name, change, ", ".join(mapping.before) or "-", ", ".join(mapping.after) or "-")
        console.print(table)
    if roles.people:
        table = wrapping_table("userName", "email / login", "gains", "loses", title_justify="left")
        table.title = f"Talend roles at next SSO sign-in ({counted(len(roles.people), 'person', 'people')})"
        for person in roles.people:
            table.add_row(
                person.user_name or "-", person.who, ", ".join(person.gains) or "-", ", ".join(person.loses) or "-"
            )
        console.print(table)


def _change(report: PreflightReport, group: GroupChange) -> str:
    """The group's change, with the name the last deployment assigned it under when the config renames it."""
    former = [r.former_name for r in report.renames if r.name == group.name]
    return group.change + "".join(f", renamed from {name!r}" for name in former)


def _verdict(report: PreflightReport) -> str:
    counts = (
        f"{len(report.created)} created, {len(report.deactivated)} deactivated, {report.unchanged} unchanged, "
        f"{counted(len(report.collisions), 'userName collision')}, {len(report.without_email)} without email"
    )
    status = "BLOCKED" if report.problems else "OK"
    return f"preflight {status}: {counts}"


def to_markdown(report: PreflightReport) -> str:
    """The report as a PR comment: the verdict and dangerous changes first, long lists folded."""
    icon = ":x:" if report.problems else ":white_check_mark:"
    lines = [
        "<!-- talend-okta-preflight -->",
        f"### {icon} talend-okta preflight: what this change does to people in Talend",
        "",
        f"Stack config `{report.stack_config}`" + (f", Okta app `{report.app_id}`" if report.app_id else "") + ".",
        "",
        "| created | **deactivated** | unchanged | userName collisions | without email |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(report.created)} | **{len(report.deactivated)}** | {report.unchanged} | {len(report.collisions)} "
        f"| {len(report.without_email)} |",
        "",
    ]
    if report.problems:
        lines += ["> [!CAUTION]", "> **This change must not be merged as is:**"]
        lines += [f"> - {_md(problem)}" for problem in report.problems]
        lines.append("")
    if report.deactivated:
        allowed = " (allowed with `--allow-mass-deactivation`)" if report.mass_deactivation_allowed else ""
        lines += [
            "> [!WARNING]",
            f"> **{len(report.deactivated)} people will be deactivated in Talend**{allowed}: they can no longer "
            "sign in and their personal access tokens stop working.",
            "",
        ]
        lines += _people_list("Will be deactivated", report.deactivated, open_=True)
    if report.collisions:
        lines += ["#### userName collisions", "", "| userName | people |", "|---|---|"]
        lines += [
            f"| `{_md(c.user_name)}` | {', '.join(_md(who_of(p)) for p in c.people)} |"
            for c in report.collisions[:MARKDOWN_ROWS]
        ]
        lines += [*_more(len(report.collisions), columns=2), ""]
    lines += _people_list("Will be created", report.created, open_=False)
    lines += _people_list("Without an email (Okta cannot compute their userName)", report.without_email, open_=True)
    renamed = {r.name for r in report.renames}
    changed_groups = [g for g in report.groups if g.change != "kept" or g.members == 0 or g.name in renamed]
    if changed_groups:
        lines += ["#### Groups", "", "| group | change | members |", "|---|---|---:|"]
        for group in changed_groups:
            empty = " (empty)" if group.members == 0 and group.change in ("kept", "added") else ""
            members = "" if group.change == "not found" else str(group.members)
            lines.append(f"| {_md(group.name)} | {_md(_change(report, group))}{empty} | {members} |")
        lines.append("")
    if report.roles is not None:
        lines += _roles_markdown(report.roles)
    if report.capacity is not None:
        lines += capacity_markdown(report.capacity)
    lines += [f"_{_md(note)}_" for note in [*report.notes, *(report.roles.notes() if report.roles else [])]]
    return "\n".join(lines).rstrip() + "\n"


def _roles_markdown(roles: RolePlan) -> list[str]:
    lines: list[str] = []
    if roles.removed:
        names = ", ".join(f"`{_md(m.name)}`" for m in roles.removed)
        lines += [
            "> [!WARNING]",
            f"> **The deploy removes {len(roles.removed)} role mappings Talend holds today:** {names} (Talend's "
            "role-mapping API replaces every mapping of the tenant).",
            "",
        ]
    if roles.mappings:
        lines += [
            f"#### Talend role mappings (compared with {roles.compared_with})",
            "",
            "| customer role | change | Talend roles now | after the deploy |",
            "|---|---|---|---|",
        ]
        for m in roles.mappings:
            change = f"**{m.change}**" if m.change == "removed" else m.change
            lines.append(
                f"| {_md(m.name)} | {change} | {_md(', '.join(m.before)) or '-'} | {_md(', '.join(m.after)) or '-'} |"
            )
        lines.append("")
    if roles.people:
        lines += [
            f"<details open><summary>Talend roles at next SSO sign-in ({len(roles.people)} people)</summary>",
            "",
            "| userName | email / login | gains | loses |",
            "|---|---|---|---|",
        ]
        for p in roles.people[:MARKDOWN_ROWS]:
            gains, loses = _md(", ".join(p.gains)) or "-", _md(", ".join(p.loses)) or "-"
            lines.append(f"| {_md(p.user_name or '-')} | {_md(p.who)} | {gains} | {loses} |")
        lines += [*_more(len(roles.people), columns=4), "", "</details>", ""]
    return lines


def _people_list(title: str, people: list[Person], *, open_: bool) -> list[str]:
    if not people:
        return []
    lines = [
        f"<details{' open' if open_ else ''}><summary>{title} ({len(people)})</summary>",
        "",
        "| " + " | ".join(PEOPLE_COLUMNS) + " |",
        "|---|---|---|---|",
    ]
    for person in people[:MARKDOWN_ROWS]:
        user_name, who, groups, user_id = _row(person)
        lines.append(f"| {_md(user_name)} | {_md(who)} | {_md(groups)} | `{user_id}` |")
    return [*lines, *_more(len(people), columns=len(PEOPLE_COLUMNS)), "", "</details>", ""]


def _more(total: int, *, columns: int) -> list[str]:
    if total <= MARKDOWN_ROWS:
        return []
    return [f"| … and {total - MARKDOWN_ROWS} more (see `--json`) |" + " |" * (columns - 1)]


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell (people's names come from Okta, not from us)."""
    return printable(text.replace("\n", " ")).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
