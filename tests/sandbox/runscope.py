"""A small runner for Runscope test exports: Okta's SCIM 2.0 suites (`../shared/api-specs/okta-scim20-*.json`), run
as Okta runs them against a SCIM server before it lists an integration.

A suite is a list of steps: `request` (method, url, headers, body with `{{variable}}`s; assertions on the status, the
JSON body or the response time; variables taken from the JSON body) and `pause` (Runscope waits; here `on_pause`
runs, e.g. the Okta stand-in's provisioning). Steps marked `skipped` are skipped, as Runscope does. Runscope also
runs a step's JavaScript `scripts`; this runner does not, and lists each non-empty one in `Result.scripts_not_run`
for the test to check by other means.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

_VARIABLE = re.compile(r"\{\{([^}]+)\}\}")
_PROPERTY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass
class Result:
    failures: list[str] = field(default_factory=list)
    """One line per failed assertion: the step's note, the assertion, what came back."""
    requests: int = 0
    scripts_not_run: list[str] = field(default_factory=list)
    """The notes of steps whose JavaScript the runner did not run."""


def run_suite(
    suite: Path,
    variables: Mapping[str, str],
    client: httpx.Client,
    on_pause: Callable[[float], None] = lambda seconds: None,
) -> Result:
    """Run every step of a Runscope export; `variables` are the suite's initial variables (Runscope's environment)."""
    steps: list[dict[str, Any]] = json.loads(suite.read_text(encoding="utf-8"))["steps"]
    known = dict(variables)
    result = Result()
    for step in steps:
        if step.get("skipped"):
            continue
        if step["step_type"] == "pause":
            on_pause(float(step.get("duration") or 0))
            continue
        _run_request(step, known, client, result)
    return result


def _fill(text: str, known: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda match: known.get(match.group(1), match.group(0)), text)


def _header_value(value: Any) -> str:
    return str(value[0] if isinstance(value, list) else value)


def _run_request(step: dict[str, Any], known: dict[str, str], client: httpx.Client, result: Result) -> None:
    note = _fill(str(step.get("note") or f"{step['method']} {step['url']}"), known)
    headers = {name: _fill(_header_value(value), known) for name, value in (step.get("headers") or {}).items()}
    body = _fill(step["body"], known).encode() if step.get("body") else None
    started = time.perf_counter()
    response = client.request(step["method"], _fill(step["url"], known), headers=headers, content=body)
    elapsed_ms = (time.perf_counter() - started) * 1000
    result.requests += 1
    try:
        document: Any = response.json()
    except ValueError:
        document = None
    for assertion in step.get("assertions", []):
        problem = _check(assertion, response.status_code, document, elapsed_ms, known)
        if problem:
            result.failures.append(f"{note}: {problem}")
    for variable in step.get("variables", []):
        if variable.get("name") and variable.get("source") == "response_json":
            value = _property(document, str(variable.get("property") or ""))
            if value is not None:
                known[str(variable["name"])] = str(value)
    if any(str(script).strip() for script in step.get("scripts", []) + step.get("before_scripts", [])):
        result.scripts_not_run.append(note)


def _property(document: Any, path: str) -> Any:
    """`Resources[0].name.familyName` of a JSON document; None when any part is missing."""
    value = document
    for name, index in _PROPERTY_PART.findall(path):
        if name and isinstance(value, dict):
            value = value.get(name)
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    """A JSON value as Runscope compares it: booleans as `true`/`false`."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _check(assertion: dict[str, Any], status: int, document: Any, elapsed_ms: float, known: dict[str, str]) -> str:
    """What is wrong with the response for this assertion, or "" when it holds."""
    source, comparison = assertion["source"], assertion["comparison"]
    expected = _fill(str(assertion.get("value")), known)
    what = f"{source} {assertion.get('property') or ''}".strip()
    if source == "response_status":
        actual: Any = status
    elif source == "response_time":
        actual = elapsed_ms
    else:
        actual = _property(document, str(assertion.get("property") or ""))
    holds = {
        "equal_number": lambda: _number(actual) == _number(expected),
        "equal": lambda: _text(actual) == expected,
        "not_empty": lambda: actual not in (None, "", [], {}),
        "has_value": lambda: isinstance(actual, list) and expected in actual,
        "contains": lambda: expected in actual if isinstance(actual, list | str) else False,
        "is_a_number": lambda: isinstance(actual, int | float) and not isinstance(actual, bool),
        "is_less_than": lambda: _number(actual) < _number(expected),
    }.get(comparison)
    if holds is None:
        return f"{what}: the runner does not know the comparison {comparison!r}"
    return "" if holds() else f"{what} {comparison} {expected!r}: got {_text(actual)!r}"


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
