"""An `Explanation` for people (numbered steps, then the verdict and its fix) or as one JSON object (`--json`).

Everything printed goes through the redactor: an Okta or Talend answer quoted in a step never shows a token; and
through `printable` before it is wrapped (the console would escape control characters after the wrap).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from rich.console import Console
from rich.markup import escape

from talend_okta.explain.steps import NA, OK, Explanation
from talend_okta.redact import Redactor
from talend_okta.terminal import printable

MARKS = {OK: ("✓", "green"), NA: ("–", "dim")}
PROBLEM_MARK = ("✗", "red")
WIDTH = 110  # characters per line; continuation lines are indented under the step's text
INDENT = " " * 7


def print_explanation(explanation: Explanation, console: Console, redact: Redactor) -> None:
    color = {True: "green", False: "red", None: "yellow"}[explanation.expected]
    head = printable(redact(f"talend-okta explain {explanation.person}: {explanation.verdict}"))
    for line in textwrap.wrap(head, width=WIDTH, subsequent_indent=INDENT, break_on_hyphens=False):
        console.print(f"[{color}]{escape(line)}[/]")
    for number, step in enumerate(explanation.steps, start=1):
        mark, style = MARKS.get(step.status, PROBLEM_MARK)
        text = printable(f"{step.name}: {redact(step.detail)}")
        _wrapped(console, f"  {number}. {mark} ", f"  {number}. [{style}]{mark}[/] ", text)
    if explanation.fix:
        _wrapped(console, "  fix: ", "  fix: ", printable(redact(explanation.fix)))


def _wrapped(console: Console, lead: str, styled_lead: str, text: str) -> None:
    """`text` after `lead` (printed as `styled_lead`), wrapped at WIDTH under an indent. The text is masked before
    it is wrapped: a token cut across two lines would slip past the mask."""
    lines = textwrap.wrap(text, width=WIDTH, initial_indent=lead, subsequent_indent=INDENT, break_on_hyphens=False)
    for index, line in enumerate(lines):
        console.print(styled_lead + escape(line[len(lead) :]) if index == 0 else escape(line))


def to_json(explanation: Explanation, redact: Redactor) -> str:
    """`person`, `verdict`, `fix`, `expected` and `steps` (each `{name, status, detail}`), every string masked
    before it is encoded (a token with a quote in it would otherwise slip past the mask as `\\"`)."""
    return json.dumps(_masked(explanation.model_dump(mode="json"), redact), indent=2, ensure_ascii=False) + "\n"


def _masked(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _masked(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, redact) for item in value]
    return value
