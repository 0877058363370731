"""An `Explanation` for people (numbered steps, then the verdict and its fix) or as one JSON object (`--json`).

Everything printed goes through the redactor: an Okta or Talend answer quoted in a step never shows a token.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from talend_okta.explain.steps import NA, OK, Explanation
from talend_okta.redact import Redactor

MARKS = {OK: "[green]✓[/]", NA: "[dim]–[/]"}
PROBLEM_MARK = "[red]✗[/]"


def print_explanation(explanation: Explanation, console: Console, redact: Redactor) -> None:
    color = {True: "green", False: "red", None: "yellow"}[explanation.expected]
    head = escape(redact(f"talend-okta explain {explanation.person}"))
    console.print(f"{head}: [{color}]{escape(redact(explanation.verdict))}[/]")
    for number, step in enumerate(explanation.steps, start=1):
        mark = MARKS.get(step.status, PROBLEM_MARK)
        console.print(f"  {number}. {mark} {escape(step.name)}: {escape(redact(step.detail))}")
    if explanation.fix:
        console.print(f"  fix: {escape(redact(explanation.fix))}")


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
