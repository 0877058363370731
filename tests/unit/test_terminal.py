"""talend_okta.terminal: Okta and Talend strings cannot move the cursor, NO_COLOR means no styling, and output that
is not a terminal is never cut (the CLI-level tests: tests/explain/test_command.py, tests/preflight)."""

from __future__ import annotations

import io

import pytest

from talend_okta.terminal import human_console, printable, wrapping_table

FORGED = "Talend Devs\x1b[1A\x1b[2K  ✓ in sync"
LONG = "eve.moss.with.a.rather.long.name@acme.example.com"


def test_every_control_character_is_shown_escaped() -> None:
    assert printable(FORGED) == "Talend Devs\\x1b[1A\\x1b[2K  ✓ in sync"
    assert printable("a\x00b\nc\td\x7fe\x9bf\x85g") == "a\\x00b\\x0ac\\x09d\\x7fe\\x9bf\\x85g"
    assert printable("Zoë [bold] ✓ 名前") == "Zoë [bold] ✓ 名前"  # printable text, markup characters and all, kept
    assert printable(printable(FORGED)) == printable(FORGED)


def test_the_console_escapes_every_string_it_renders_lines_and_table_cells() -> None:
    out = io.StringIO()
    console = human_console(file=out)
    console.print(f"group {FORGED}")
    table = wrapping_table("group", "members", title=f"Groups {FORGED}")
    table.add_row(FORGED, "3")
    console.print(table)
    assert "\x1b" not in out.getvalue()
    assert out.getvalue().count("\\x1b[1A\\x1b[2K") == 3


@pytest.mark.parametrize(("no_color", "styled"), [("", True), ("1", False)])
def test_no_color_means_no_styling_at_all(monkeypatch: pytest.MonkeyPatch, no_color: str, styled: bool) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # as a terminal would be
    monkeypatch.setenv("NO_COLOR", no_color)
    out = io.StringIO()
    human_console(file=out).print("[italic]note[/] [bold red]fail[/]")
    assert ("\x1b[" in out.getvalue()) is styled
    assert "note" in out.getvalue()


def test_output_that_is_not_a_terminal_is_never_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    console = human_console(file=out)
    table = wrapping_table("userName", "email", "groups")
    for number in range(3):
        table.add_row(f"eve{number}", LONG, ", ".join(f"Talend Group {n}" for n in range(8)))
    console.print(table)
    console.print("x" * 300)
    assert out.getvalue().count(LONG) == 3
    assert "…" not in out.getvalue()
    assert "x" * 300 in out.getvalue()


def test_a_table_wider_than_columns_wraps_its_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    table = wrapping_table("userName", "email")
    table.add_row("eve", LONG)
    human_console(file=out).print(table)
    assert "…" not in out.getvalue()
    cells = "".join(line.split("│")[2].strip() for line in out.getvalue().splitlines() if line.count("│") == 3)
    assert LONG in cells
    assert max(len(line) for line in out.getvalue().splitlines()) <= 40
