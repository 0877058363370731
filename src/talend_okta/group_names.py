"""How a stack's `groups[].name` become Okta groups, for `pulumi preview`/`up` and preflight alike.

A name resolves only to the one Okta group (type OKTA_GROUP) named exactly that, case and all. pulumi-okta's
`okta.group.get_group(name=…)` took the only group Okta listed for `q=<name>` (a prefix search) when none matched
exactly, so `Talend Operator` became `Talend Operators`: a one-letter typo gave Talend to other people. None, or
several of that name, is one line naming the group and the names close to it.

All of a stack's names are read in one paged request (Okta's `search`, listGroups in the Management API:
`type eq "OKTA_GROUP" and (profile.name eq "A" or …)`), not one lookup per group: Okta compares string values
without regard to case, so the exact comparison happens here. Only when a name does not resolve is the org's list
of Okta groups read, for the close matches.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from talend_okta.okta_api import NamedGroup, okta_string

OKTA_GROUP = "OKTA_GROUP"  # made in Okta; APP_GROUP and BUILT_IN groups are not assignable by name here
ALL_OKTA_GROUPS = f'type eq "{OKTA_GROUP}"'
CLOSE_MATCHES = 3


Read = Callable[[str], Iterable[NamedGroup]]
"""One paged read of Okta's groups for a `search` expression (pulumi-okta's `okta.get_groups`, or `OktaClient`)."""


@dataclass(frozen=True)
class Resolved:
    """Each name's group id, and a one-line problem for each name that does not resolve."""

    ids: dict[str, str]
    problems: dict[str, str]

    def line(self) -> str:
        """All problems as one line, for the program to stop on."""
        return "talend-okta:groups: " + "; ".join(self.problems.values())


def search_expression(names: Iterable[str]) -> str:
    """Okta's `search` for the Okta groups with these names (without regard to case, as Okta compares)."""
    either = " or ".join(f"profile.name eq {okta_string(name)}" for name in sorted(set(names)))
    return f"{ALL_OKTA_GROUPS} and ({either})"


def resolve_groups(names: Sequence[str], read: Read) -> Resolved:
    """Each name's one Okta group of exactly that name; `read` is called once, and once more for the close matches
    when a name does not resolve."""
    if not names:
        return Resolved({}, {})
    exact: dict[str, list[NamedGroup]] = {name: [] for name in names}
    for group in read(search_expression(names)):
        if group.type == OKTA_GROUP and group.name in exact:
            exact[group.name].append(group)
    ids = {name: found[0].id for name, found in exact.items() if len(found) == 1}
    several = {name: found for name, found in exact.items() if len(found) > 1}
    missing = [name for name, found in exact.items() if not found]
    problems = {
        name: f"group {name!r}: {len(found)} Okta groups have exactly this name ({', '.join(g.id for g in found)}); "
        "rename all but one in Okta"
        for name, found in several.items()
    }
    if missing:
        known = sorted({group.name for group in read(ALL_OKTA_GROUPS) if group.type == OKTA_GROUP})
        for name in missing:
            problems[name] = f"group {name!r}: no Okta group (type {OKTA_GROUP}) has exactly this name" + close_matches(
                name, known
            )
    return Resolved(ids, {name: problems[name] for name in names if name in problems})


def okta_group_names(names: Sequence[str], read: Read) -> dict[str, str | None]:
    """Each name → the Okta group's name: itself when exactly one Okta group has it, the one spelled otherwise (case
    aside: Okta's `eq` ignores case) when there is exactly one such, else None. One search, for verify's report."""
    listed = [g.name for g in read(search_expression(names)) if g.type == OKTA_GROUP] if names else []
    found: dict[str, str | None] = {}
    for name in names:
        spelled = [listed_name for listed_name in listed if listed_name.casefold() == name.casefold()]
        found[name] = name if spelled.count(name) == 1 else (spelled[0] if len(spelled) == 1 else None)
    return found


def close_matches(name: str, known: Sequence[str]) -> str:
    """`; close matches: 'A', 'B'` (the names most like `name`, case aside), or nothing."""
    by_key = {candidate.casefold(): candidate for candidate in known}
    close = difflib.get_close_matches(name.casefold(), list(by_key), n=CLOSE_MATCHES, cutoff=0.8)
    return f"; close matches: {', '.join(repr(by_key[key]) for key in close)}" if close else ""
