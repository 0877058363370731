"""The review as a document: JSON (with the sha256 of its people), CSV and Markdown.

`sha256` is the SHA-256 of `people` in canonical JSON: keys sorted, no spaces, UTF-8 (not ASCII-escaped). Anyone
can recompute it from the JSON file alone (docs/review.md gives the command), so a report attached to an audit
ticket can be checked later.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Literal

from talend_okta.review.people import FLAGS, Person, explain_flag

Format = Literal["json", "csv", "markdown"]
FORMATS: tuple[Format, ...] = ("json", "csv", "markdown")
CSV_COLUMNS = (
    "userName",
    "oktaLogin",
    "oktaStatus",
    "assignment",
    "talendActive",
    "roles",
    "lastSignIn",
    "flags",
)


@dataclass(frozen=True)
class Review:
    generated_at: str
    since: str
    until: str
    org: str
    app_id: str
    tenant: str
    unused_days: int
    people: list[Person]
    summary: dict[str, int]
    notes: list[str] = field(default_factory=list)  # what could not be read (terminal only)


def canonical(value: object) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def people_sha256(people: list[dict[str, object]]) -> str:
    return hashlib.sha256(canonical(people)).hexdigest()


def as_json(review: Review) -> str:
    people = [p.as_json() for p in review.people]
    document = {
        "generatedAt": review.generated_at,
        "window": {"since": review.since, "until": review.until},
        "org": review.org,
        "appId": review.app_id,
        "tenant": review.tenant,
        "people": people,
        "summary": review.summary,
        "sha256": people_sha256(people),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _assignment(person: Person) -> str:
    if person.scope == "none":
        return "not assigned"
    groups = ", ".join(person.groups)
    return f"direct{f' (also {groups})' if groups else ''}" if person.scope == "direct" else groups or "group"


def _roles(person: Person) -> str:
    return "; ".join(f"{r.role} ({', '.join(r.granted_by) or 'no mapped group'})" for r in person.roles)


def _cells(person: Person) -> list[str]:
    return [
        person.user_name or "",
        person.okta_login or "",
        person.okta_status or "",
        _assignment(person),
        "yes" if person.talend_active else "no",
        _roles(person),
        person.last_sign_in or "none",
        ", ".join(person.flags),
    ]


def as_csv(review: Review) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_cells(p) for p in review.people)
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def as_markdown(review: Review) -> str:
    lines = [
        "# Talend access review",
        "",
        f"Okta org {review.org}, app `{review.app_id}`, Talend {review.tenant}; sign-ins from {review.since} to "
        f"{review.until}; generated {review.generated_at}.",
        "",
        "| flag | people |",
        "|---|---|",
        *(f"| {flag} | {review.summary[flag]} |" for flag in FLAGS),
        "",
        "| " + " | ".join(CSV_COLUMNS) + " |",
        "|" + "---|" * len(CSV_COLUMNS),
        *("| " + " | ".join(_md(cell) for cell in _cells(p)) + " |" for p in review.people),
        "",
    ]
    flagged = [p for p in review.people if p.flags]
    if flagged:
        lines += ["## Why each person is flagged", ""]
        lines += [
            f"- **{_md(p.user_name or p.okta_login or '?')}**: "
            + "; ".join(f"{flag}: {_md(explain_flag(p, flag, review.unused_days))}" for flag in p.flags)
            for p in flagged
        ]
        lines.append("")
    digest = people_sha256([p.as_json() for p in review.people])
    lines.append(f"sha256 of people (canonical JSON; see the JSON report): `{digest}`")
    return "\n".join(lines) + "\n"


RENDERERS = {"json": as_json, "csv": as_csv, "markdown": as_markdown}
