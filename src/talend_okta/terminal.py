"""Output for people: one sanitiser for every string from Okta or Talend, and the one way to make a rich Console.

Okta and Talend strings (group names, userNames, System Log reasons, error messages) are data: a control character
in one moves the cursor or erases lines (`\\x1b[1A\\x1b[2K`), enough to forge a line such as "in sync". rich's
`escape()` escapes markup only, and rich's `Text` drops a few controls (BEL, BS, VT, FF, CR) but not ESC.
`printable()` shows every C0 and C1 control character, DEL and ESC escaped (`\\x1b`), newlines too (one value, one
line); the console applies it to every string it renders (lines, table cells, status lines), so no caller can
forget. `--json` keeps the values as they are: JSON escapes control characters itself.

`NO_COLOR` (no-color.org) means no styling at all, not only no colour. Output that is not a terminal (a pipe, a CI
log) is never cut to 80 columns: it is as wide as its lines, and a table cell too long for a terminal wraps.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
UNLIMITED = 100_000  # columns for output that is not a terminal: nothing rich lays out is cut


def printable(text: str) -> str:
    """`text` with every control character (C0, DEL, C1; ESC and newline among them) shown as `\\xNN`."""
    return _CONTROLS.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


class _Console(Console):
    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable(text), **options)


def human_console(*, stderr: bool = False, file: IO[str] | None = None, markup: bool = True) -> Console:
    """A Console for human output: every string made printable, no highlighting or soft-wrapping of lines, no
    styling under NO_COLOR, and full width when the output is not a terminal (unless COLUMNS says how wide).
    `markup=False` where nothing printed is rich markup: then a `[` in a group name is only a bracket."""
    no_color = bool(os.environ.get("NO_COLOR"))
    console = _Console(
        stderr=stderr,
        markup=markup,
        file=file,
        highlight=False,
        soft_wrap=True,
        color_system=None if no_color else "auto",
        no_color=no_color,
    )
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = UNLIMITED
    return console


def wrapping_table(*columns: str, **options: Any) -> Table:
    """A rich Table whose cells wrap (`fold`) instead of ending in `…`: names in a list of people are never cut."""
    found = Table(**options)
    for column in columns:
        found.add_column(column, overflow="fold")
    return found
