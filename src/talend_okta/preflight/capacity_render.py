"""preflight's capacity section (seats, token owner, mass pushes) as a terminal table and as PR-comment Markdown."""

from __future__ import annotations

from rich.console import Console

from talend_okta.capacity import CapacityReport, SeatPlan
from talend_okta.terminal import printable, wrapping_table

SEAT_COLUMNS = ("application", "used now", "added", "freed", "after", "limit", "status")


def _mark(status: str) -> str:
    return {"over": "OVER THE LIMIT", "near": "within 10%"}.get(status, "")


def print_capacity(capacity: CapacityReport, console: Console) -> None:
    """The seats table, then one line per warning and per part not checked (problems print with the report's)."""
    if capacity.seats is not None:
        table = wrapping_table(*SEAT_COLUMNS, title="Talend seats per application", title_justify="left")
        for line in capacity.seats.lines:
            table.add_row(
                line.application,
                str(line.used),
                f"+{line.adds}",
                f"-{line.frees}",
                str(line.after),
                str(line.limit),
                _mark(line.status),
            )
        console.print(table)
    if capacity.owner is not None:
        owner = capacity.owner
        roles = (
            f"; roles at next sign-in: {', '.join(owner.roles_after) or 'none mapped'}" if owner.roles_change else ""
        )
        console.print(f"Talend token owner: {owner.owner}{roles}", markup=False, highlight=False)
    if capacity.pushes is not None and capacity.pushes.count:
        console.print(f"Pushed to Talend again: {capacity.pushes.count} people", markup=False, highlight=False)
    for warning in capacity.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    for part in capacity.unchecked:
        console.print(f"note: not checked: {part}", markup=False, highlight=False)


def capacity_markdown(capacity: CapacityReport) -> list[str]:
    """The section for the PR comment: warnings first, then the seats table (problems go in the CAUTION block)."""
    lines: list[str] = []
    if capacity.warnings:
        lines += ["> [!WARNING]", *(f"> - {_md(w)}" for w in capacity.warnings), ""]
    if capacity.seats is not None:
        lines += _seats_markdown(capacity.seats)
    if capacity.pushes is not None and capacity.pushes.count:
        lines += [
            f"**Pushed to Talend again:** {capacity.pushes.count} people ({_md('; '.join(capacity.pushes.reasons))})",
            "",
        ]
    if capacity.owner is not None:
        lines += [f"Talend token owner: `{_md(capacity.owner.owner)}`", ""]
    lines += [f"_Not checked: {_md(line)}_" for line in capacity.unchecked]
    return lines


def _seats_markdown(seats: SeatPlan) -> list[str]:
    lines = [
        "#### Talend seats per application",
        "",
        "| application | used now | added | freed | after | limit | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for line in seats.lines:
        mark = f"**{_mark(line.status)}**" if line.status == "over" else _mark(line.status)
        lines.append(
            f"| {_md(line.application)} | {line.used} | +{line.adds} | -{line.frees} | **{line.after}** | {line.limit} "
            f"| {mark} |"
        )
    return [*lines, ""]


def _md(text: str) -> str:
    """Text safe inside Markdown (names come from Talend and Okta, not from us)."""
    return printable(text.replace("\n", " ")).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
