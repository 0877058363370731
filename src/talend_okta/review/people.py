"""One row per person in either system, and the flags an access review asks about. Pure: tests need no network.

People are joined by userName as Talend compares them (`user_names.user_name_key`): the app username Okta sends is
the Talend userName.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from talend_okta.okta_api import AppUser, OktaUser
from talend_okta.push_state import PushState, push_state
from talend_okta.review.read import Facts
from talend_okta.scim_api import ScimUser
from talend_okta.user_names import user_name_key

ORPHAN: Final = "orphan"
OKTA_INACTIVE: Final = "okta-inactive"
DIRECT: Final = "direct"
UNUSED: Final = "unused"
STRANDED: Final = "stranded"
PUSH_FAILED: Final = "push-failed"
ROLE_OUTSIDE_MAPPING: Final = "role-outside-mapping"
FLAGS: Final = (ORPHAN, OKTA_INACTIVE, DIRECT, UNUSED, STRANDED, PUSH_FAILED, ROLE_OUTSIDE_MAPPING)

OKTA_ACTIVE_STATUSES: Final = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})
"""Okta user statuses of a person who still works there: ACTIVE, or ACTIVE with a credential to fix (Okta's User
status: LOCKED_OUT, PASSWORD_EXPIRED and RECOVERY are reached only from ACTIVE). The others (STAGED, PROVISIONED,
SUSPENDED, DEPROVISIONED) mean the person may not sign in to Okta."""

DIRECT_SCOPE, GROUP_SCOPE, NOT_ASSIGNED = "direct", "group", "none"


@dataclass(frozen=True)
class Role:
    role: str
    granted_by: list[str]  # the person's mapped groups that give the role (none: no mapping explains it)


@dataclass
class Person:
    user_name: str | None
    okta_login: str | None
    okta_status: str | None
    scope: str  # direct, group or none
    groups: list[str]  # the app's groups the person is in
    talend_active: bool
    roles: list[Role]
    last_sign_in: str | None
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "userName": self.user_name,
            "oktaLogin": self.okta_login,
            "oktaStatus": self.okta_status,
            "assignment": {"scope": self.scope, "groups": self.groups},
            "talendActive": self.talend_active,
            "roles": [{"role": r.role, "grantedBy": r.granted_by} for r in self.roles],
            "lastSignIn": self.last_sign_in,
            "flags": self.flags,
        }


def people(facts: Facts, *, until: datetime, unused_days: int) -> list[Person]:
    """Every app user, then every Talend user no app user names; sorted by userName as Talend compares them."""
    rows: list[Person] = []
    seen: set[str] = set()
    unused_before = until - timedelta(days=unused_days)
    for app_user in facts.app_users:
        key = user_name_key(app_user.user_name) if app_user.user_name else None
        talend = facts.talend_users.get(key) if key else None
        if key:
            seen.add(key)
        rows.append(_person(facts, app_user, talend, facts.okta_users.get(app_user.id), unused_before))
    for key, talend in facts.talend_users.items():
        if key not in seen:
            okta_user = facts.okta_users.get(talend.external_id or "")
            rows.append(_person(facts, None, talend, okta_user, unused_before))
    rows.sort(key=lambda p: (user_name_key(p.user_name or ""), p.user_name or "", p.okta_login or ""))
    return rows


def _person(
    facts: Facts, app_user: AppUser | None, talend: ScimUser | None, okta_user: OktaUser | None, unused_before: datetime
) -> Person:
    assigned = app_user is not None and app_user.is_active
    scope = NOT_ASSIGNED if not assigned else DIRECT_SCOPE if app_user and app_user.scope == "USER" else GROUP_SCOPE
    groups = facts.groups_of.get(okta_user.id, set()) if okta_user else set()
    talend_active = talend is not None and talend.is_active
    last = facts.last_sign_in.get(okta_user.id) if okta_user else None
    person = Person(
        user_name=talend.user_name if talend else app_user.user_name if app_user else None,
        okta_login=okta_user.profile.login or None if okta_user else None,
        okta_status=okta_user.status or None if okta_user else None,
        scope=scope,
        groups=sorted(groups & facts.app_groups) if assigned else [],
        talend_active=talend_active,
        roles=_roles(talend, groups, facts),
        last_sign_in=last,
    )
    state = push_state(app_user, app_creates_users=facts.app_creates_users) if app_user and assigned else None
    checks = {
        ORPHAN: talend_active and not assigned,
        OKTA_INACTIVE: talend_active
        and person.okta_status is not None
        and person.okta_status not in OKTA_ACTIVE_STATUSES,
        DIRECT: scope == DIRECT_SCOPE,
        UNUSED: talend_active and (last is None or _before(last, unused_before)),
        STRANDED: state is PushState.STRANDED,
        PUSH_FAILED: state is PushState.PUSH_FAILED,
        ROLE_OUTSIDE_MAPPING: bool(facts.mappings_source) and any(not r.granted_by for r in person.roles),
    }
    person.flags = [flag for flag in FLAGS if checks[flag]]
    return person


def _roles(talend: ScimUser | None, groups: set[str], facts: Facts) -> list[Role]:
    if talend is None:
        return []
    names = sorted({r.role_name for r in talend.roles if r.role_name})
    return [Role(name, sorted(g for g in groups if name in facts.mappings.get(g, []))) for name in names]


def _before(published: str, moment: datetime) -> bool:
    return datetime.fromisoformat(published) < moment


def summary(rows: list[Person]) -> dict[str, int]:
    """How many people carry each flag (every flag, zeros too)."""
    return {flag: sum(flag in p.flags for p in rows) for flag in FLAGS}


def explain_flag(person: Person, flag: str, unused_days: int) -> str:
    """One line: why this person carries this flag."""
    match flag:
        case "orphan":
            return "active in Talend, not assigned to the app in Okta"
        case "okta-inactive":
            return f"Okta user is {person.okta_status}, still active in Talend"
        case "direct":
            return "assigned to the app individually, not through a group the stack declares"
        case "unused":
            if person.last_sign_in is None:
                return "holds a Talend seat, never signed in through Okta in the window"
            return f"holds a Talend seat, last signed in {person.last_sign_in} (over {unused_days} days ago)"
        case "stranded":
            return "assigned before provisioning was on: Okta never pushes them (talend-okta provision --stranded)"
        case "push-failed":
            return "Okta's push to Talend failed (syncState ERROR; talend-okta explain says why)"
        case _:
            outside = ", ".join(r.role for r in person.roles if not r.granted_by)
            return f"Talend role {outside}: no mapped group of theirs gives it"
