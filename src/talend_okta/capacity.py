"""What Talend can hold, planned before a deploy: seats per application, the token owner's lockout, mass pushes.

Pure functions of what preflight read (Talend's subscription and roles, Okta's people and app), so tests need no
network. How a Talend role's application is found:
- Talend licenses seats per application; a user holds at most one seat per application, and "each user with at
  least one role or permission related to Talend Cloud Data Preparation, Talend Cloud Data Stewardship, Talend
  Studio, and Talend Cloud Pipeline Designer consumes a seat for that application"; Pipeline Designer seats are
  Studio seats (Talend Management Console user guide, "Seat allocation per license", and "General account and
  license information").
- A predefined role's application is the application whose guide defines it (`ROLE_APPLICATIONS`, cited there).
- Management Console seats: the roles Environment Administrator, Infrastructure Administrator and Operator, and any
  role holding one of the permissions listed in `CONSOLE_SEAT_PERMISSIONS` ("Seat allocation per license").
- Any other (custom) role: by its permission ids, as Talend's role list (`GET /scim/v2/Roles`, `entitlement`)
  gives them: the console permissions above, and the other applications' id prefixes (`PERMISSION_PREFIXES`;
  inferred from the ids Talend's own portal uses, not documented: a custom role may be missed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, computed_field

from talend_okta.roles import normalized
from talend_okta.talend_api import Seat

STUDIO = "Studio"
DATA_PREPARATION = "Data Preparation"
DATA_STEWARDSHIP = "Data Stewardship"
MANAGEMENT_CONSOLE = "Management Console"

APPLICATION_NAMES: dict[str, str] = {
    # How Talend may name an application in `seats[].application` (its API reference gives no list) → ours.
    "studio": STUDIO,
    "talend studio": STUDIO,
    "pipeline designer": STUDIO,  # "Talend Cloud Pipeline Designer seats are shared with Talend Studio seats"
    "talend cloud pipeline designer": STUDIO,
    "data preparation": DATA_PREPARATION,
    "talend cloud data preparation": DATA_PREPARATION,
    "tdp": DATA_PREPARATION,
    "data stewardship": DATA_STEWARDSHIP,
    "talend cloud data stewardship": DATA_STEWARDSHIP,
    "tds": DATA_STEWARDSHIP,
    "management console": MANAGEMENT_CONSOLE,
    "talend management console": MANAGEMENT_CONSOLE,
    "talend cloud management console": MANAGEMENT_CONSOLE,
    "tmc": MANAGEMENT_CONSOLE,
}

ROLE_APPLICATIONS: dict[str, str] = {
    # Talend Management Console guide, "Talend Management Console" roles (roles-tmc): publishes from Studio.
    "Integration Developer": STUDIO,
    # Talend Management Console for Pipelines guide, "Talend Cloud Pipeline Designer" roles (roles-tpd).
    "Pipelines Administrator": STUDIO,
    "Pipelines Designer": STUDIO,
    "Pipelines Operator": STUDIO,
    "Pipelines Viewer": STUDIO,
    # Talend Management Console guide, "Talend Cloud Data Stewardship" roles (roles-tds).
    "Campaign Owner": DATA_STEWARDSHIP,
    "Campaign Operator": DATA_STEWARDSHIP,
    "Data Steward": DATA_STEWARDSHIP,
    "Rule - Manager": DATA_STEWARDSHIP,
    "Rule - Viewer": DATA_STEWARDSHIP,
    # Talend Data Preparation user guide, "User Roles".
    "Data Preparator": DATA_PREPARATION,
    "Dataset Manager": DATA_PREPARATION,
    # "Seat allocation per license": these default roles consume a Management Console seat.
    "Environment Administrator": MANAGEMENT_CONSOLE,
    "Infrastructure Administrator": MANAGEMENT_CONSOLE,
    "Operator": MANAGEMENT_CONSOLE,
}

CONSOLE_SEAT_PERMISSIONS = frozenset(
    # "Seat allocation per license" / roles-tmc: permissions that consume a Management Console seat. Engines - Use
    # (TMC_ENGINE_USE) does not; Security Administrator's permissions do not.
    {
        "TMC_STATIC_IP_MANAGEMENT",
        "TMC_PIPELINE_MANAGEMENT",
        "TMC_PROMOTION_EXECUTION",
        "TMC_OPERATOR",
        "TMC_EXPORT_LOGS_MANAGEMENT",
        "TMC_CLUSTER_MANAGEMENT",
        "TMC_ENVIRONMENT_MANAGEMENT",
    }
)

PERMISSION_PREFIXES: dict[str, str] = {
    # Inferred, not documented: the permission ids Talend's portal shows (TDP_BASIC, STUDIO_ENTITLEMENT_…).
    "TDP_": DATA_PREPARATION,
    "TDS_": DATA_STEWARDSHIP,
    "STUDIO_": STUDIO,
    "TPD_": STUDIO,
}

PREDEFINED_PERMISSIONS: dict[str, frozenset[str]] = {
    # roles-tmc: the predefined role that holds what a provisioning token needs. Used only when Talend's role list
    # was not read; other predefined roles hold neither permission.
    "Security Administrator": frozenset({"TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"}),
}

USERS_MANAGE = "TMC_USER_MANAGEMENT"
SSO_MANAGE = "TMC_SSO_MANAGEMENT"
PERMISSION_NAMES = {USERS_MANAGE: "Users - Manage", SSO_MANAGE: "SSO - Manage"}

NEAR_LIMIT = 0.9  # a change that leaves an application at 90 % of its seats or more warns

RoleCatalog = Mapping[str, frozenset[str]]
"""Talend role name → its permission ids, as Talend's role list gives them."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


def application_of(talend_name: str) -> str | None:
    """Our name for an application as Talend's subscription names it; None when unknown."""
    return APPLICATION_NAMES.get(" ".join(talend_name.split()).casefold())


def role_applications(role: str, permissions: frozenset[str] | None) -> frozenset[str]:
    """The applications a role consumes a seat in (`permissions`: the role's ids; None when not known)."""
    found = {ROLE_APPLICATIONS[role]} if role in ROLE_APPLICATIONS else set()
    for permission in permissions or ():
        if permission in CONSOLE_SEAT_PERMISSIONS:
            found.add(MANAGEMENT_CONSOLE)
        found.update(app for prefix, app in PERMISSION_PREFIXES.items() if permission.startswith(prefix))
    return frozenset(found)


@dataclass(frozen=True)
class RoleChange:
    """A person whose mapped Talend roles may change: their roles before and after the deploy."""

    who: str  # email or login
    user_name: str | None
    before: frozenset[str]
    after: frozenset[str]


class RoleMember(Protocol):
    """A person in some role group, as preflight read them from Okta."""

    @property
    def user_name(self) -> str | None: ...
    @property
    def who(self) -> str: ...
    @property
    def groups(self) -> frozenset[str]: ...
    @property
    def assigned_before(self) -> bool: ...
    @property
    def assigned_after(self) -> bool: ...


def role_changes(
    members: Iterable[RoleMember], before: Mapping[str, Iterable[str]], after: Mapping[str, Iterable[str]]
) -> list[tuple[Identity, RoleChange]]:
    """Each person's mapped Talend roles before and after the deploy (none while not assigned to the app)."""
    old, new = normalized(before), normalized(after)
    found = []
    for member in members:
        had = _mapped(old, member.groups) if member.assigned_before else frozenset()
        has = _mapped(new, member.groups) if member.assigned_after else frozenset()
        identity = Identity(user_name=member.user_name, email=member.who, login=member.who)
        found.append((identity, RoleChange(who=member.who, user_name=member.user_name, before=had, after=has)))
    return found


def _mapped(mappings: Mapping[str, list[str]], groups: frozenset[str]) -> frozenset[str]:
    return frozenset(role for group in groups & mappings.keys() for role in mappings[group])


# --- seats -------------------------------------------------------------------------------------------------------


class SeatLine(_Model):
    """One licensed application: seats used now, what the change adds and frees, and the license limit."""

    application: str  # as Talend names it
    used: int
    limit: int
    adds: int = 0
    frees: int = 0
    known: bool = True  # False: talend-okta cannot relate any role to this application

    @computed_field  # type: ignore[prop-decorator]
    @property
    def after(self) -> int:
        return self.used + self.adds - self.frees

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["over", "near", "ok"]:
        if self.adds and self.after > self.limit:
            return "over"
        if self.adds and self.after >= self.limit * NEAR_LIMIT:
            return "near"
        return "ok"

    def numbers(self) -> str:
        return f"{self.after} of {self.limit} seats ({self.used} used now, +{self.adds} added, -{self.frees} freed)"


class SeatPlan(_Model):
    """The seats part of a preflight report."""

    lines: list[SeatLine]
    unlicensed: dict[str, int]  # our application name → people the change gives it, absent from the license
    unknown_applications: list[str]  # applications in Talend's answer talend-okta cannot relate roles to
    unplaced_roles: list[str]  # roles of the config whose application is not known (not in Talend's role list)

    @property
    def problems(self) -> list[str]:
        if not self.lines:
            return [
                "seats: cannot tell: Talend's subscription lists no application and no seats; check the license in "
                "Talend Management Console → Subscription, or the token's owner's access to it"
            ]
        problems = [
            f"seats: {line.application} would need {line.numbers()}: free seats in Talend (remove roles from people "
            f"who no longer need {line.application}) or buy more before merging"
            for line in self.lines
            if line.status == "over"
        ]
        problems += [
            f"seats: the change gives {count} people a {app} role, but the license has no {app} seats"
            for app, count in sorted(self.unlicensed.items())
        ]
        return problems

    @property
    def warnings(self) -> list[str]:
        warnings = [
            f"seats: {line.application} would use {line.numbers()}, within 10% of its limit"
            for line in self.lines
            if line.status == "near"
        ]
        warnings += [
            f"seats: Talend licenses an application talend-okta does not know, {name!r}; its seats are shown "
            f"but no role is counted against them (known: {', '.join(sorted(set(APPLICATION_NAMES.values())))})"
            for name in self.unknown_applications
        ]
        if self.unplaced_roles:
            warnings.append(
                f"seats: no application is known for role {', '.join(repr(r) for r in self.unplaced_roles)} "
                "(not in Talend's role list): counted as no seat"
            )
        return warnings


def plan_seats(seats: Iterable[Seat], changes: Iterable[RoleChange], catalog: RoleCatalog | None) -> SeatPlan:
    """Seats added and freed per application by the people whose roles change (a seat per person and app)."""
    changes = list(changes)
    roles = {role for change in changes for role in (*change.before, *change.after)}
    placed = {role: role_applications(role, catalog.get(role) if catalog else None) for role in roles}
    unplaced = sorted(
        role for role, apps in placed.items() if not apps and role not in (catalog or PREDEFINED_PERMISSIONS)
    )
    adds: dict[str, int] = {}
    frees: dict[str, int] = {}
    for change in changes:
        had = {app for role in change.before for app in placed[role]}
        has = {app for role in change.after for app in placed[role]}
        for app in has - had:
            adds[app] = adds.get(app, 0) + 1
        for app in had - has:
            frees[app] = frees.get(app, 0) + 1

    lines: list[SeatLine] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for seat in seats:
        ours = application_of(seat.application)
        if ours is None:
            unknown.append(seat.application)
            lines.append(
                SeatLine(application=seat.application, used=seat.current_users, limit=seat.max_users, known=False)
            )
            continue
        seen.add(ours)
        # Studio and Pipeline Designer share seats, and Talend does not say which of its lines counts a shared
        # seat: the change is counted on each, so the verdict is the same in any order of Talend's list.
        lines.append(
            SeatLine(
                application=seat.application,
                used=seat.current_users,
                limit=seat.max_users,
                adds=adds.get(ours, 0),
                frees=frees.get(ours, 0),
            )
        )
    unlicensed = {app: count for app, count in adds.items() if app not in seen}
    return SeatPlan(lines=lines, unlicensed=unlicensed, unknown_applications=unknown, unplaced_roles=unplaced)


# --- the token owner ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A person as preflight knows them: Talend userName (email prefix), email and Okta login."""

    user_name: str | None
    email: str | None
    login: str | None

    def is_(self, owner: str) -> bool:
        """Is this the person `owner` names (an email or login, compared without case, or a userName)?"""
        wanted = owner.strip().casefold()
        return wanted in {(v or "").casefold() for v in (self.email, self.login, self.user_name) if v}


class OwnerPlan(_Model):
    """What the change does to the owner of the Talend token the stack uses."""

    owner: str
    deactivated: bool  # the change unassigns them from the app
    deactivates_in_talend: bool  # To App "Deactivate Users" is on, so Okta deactivates them in Talend
    roles_before: list[str]
    roles_after: list[str]
    roles_change: bool
    lost_permissions: list[str]  # needed permission ids the roles after the change do not give
    unknown_roles: list[str]  # roles after the change whose permissions are not known

    @property
    def problems(self) -> list[str]:
        problems = []
        if self.deactivated and self.deactivates_in_talend:
            problems.append(
                f"token owner: the change unassigns {self.owner}, who owns the Talend token the stack uses: Okta "
                "deactivates them in Talend, their token stops working and all provisioning stops; keep them in a "
                "configured group (or assign them to the app directly)"
            )
        if self.roles_change and self.lost_permissions and not self.unknown_roles:
            lost = ", ".join(f"{PERMISSION_NAMES.get(p, p)} ({p})" for p in self.lost_permissions)
            roles = ", ".join(self.roles_after) or "no role"
            problems.append(
                f"token owner: at their next SSO sign-in {self.owner} gets {roles}, without {lost}, which the token "
                "the stack uses needs; keep a role with it in their group's talendRoles"
            )
        return problems

    @property
    def warnings(self) -> list[str]:
        warnings = []
        if self.deactivated and not self.deactivates_in_talend:
            warnings.append(
                f"token owner: the change unassigns {self.owner} from the app (deactivateUsers is off, so they stay "
                "active in Talend)"
            )
        if self.roles_change and self.unknown_roles:
            warnings.append(
                f"token owner: {self.owner}'s roles change to {', '.join(self.roles_after)}; the permissions of "
                f"{', '.join(self.unknown_roles)} are not known (give a Talend token to read the role list)"
            )
        return warnings


def plan_token_owner(
    owner: str,
    *,
    deactivated: Iterable[Identity],
    changes: Iterable[tuple[Identity, RoleChange]],
    catalog: RoleCatalog | None,
    needed: Iterable[str],
    deactivates_in_talend: bool,
) -> OwnerPlan:
    """Does the change unassign the owner, or map them to roles without a permission their token needs?"""
    change = next((c for who, c in changes if who.is_(owner)), None)
    before = sorted(change.before) if change else []
    after = sorted(change.after) if change else []
    permissions = catalog if catalog is not None else PREDEFINED_PERMISSIONS
    unknown = [role for role in after if role not in permissions]
    granted = {p for role in after for p in permissions.get(role, frozenset())}
    return OwnerPlan(
        owner=owner,
        deactivated=any(person.is_(owner) for person in deactivated),
        deactivates_in_talend=deactivates_in_talend,
        roles_before=before,
        roles_after=after,
        roles_change=change is not None and change.before != change.after,
        lost_permissions=sorted(set(needed) - granted),
        unknown_roles=unknown,
    )


# --- mass pushes -------------------------------------------------------------------------------------------------


class AppProfile(_Model):
    """The app settings every assigned person's Okta profile carries for Talend."""

    user_name_template: str | None
    attribute_statements: list[str]  # each statement as one comparable line
    pushes_updates: bool | None  # To App "Update User Attributes"; None: provisioning is not enabled at all


class PushPlan(_Model):
    """People Okta pushes to Talend again because a setting every profile carries changes."""

    reasons: list[str]
    people: int  # assigned before and after the deploy
    max_pushes: int | None

    @property
    def count(self) -> int:
        return self.people if self.reasons else 0

    @property
    def problems(self) -> list[str]:
        if self.max_pushes is None or self.count <= self.max_pushes:
            return []
        return [
            f"mass push: {self.count} people would be pushed to Talend again ({'; '.join(self.reasons)}), more than "
            f"--max-pushes {self.max_pushes}"
        ]

    @property
    def warnings(self) -> list[str]:
        if not self.count or self.problems:
            return []
        return [f"mass push: Okta pushes {self.count} people to Talend again ({'; '.join(self.reasons)})"]


def plan_pushes(current: AppProfile | None, desired: AppProfile, people: int, max_pushes: int | None) -> PushPlan:
    """What changes for every profile (Okta support: "Why was a mass profile push triggered"). Nothing is pushed
    for an app not deployed yet or not provisioning yet, or with Update User Attributes off after the deploy."""
    reasons: list[str] = []
    if current is not None and current.pushes_updates is not None and desired.pushes_updates:
        if current.user_name_template != desired.user_name_template:
            reasons.append(
                f"username format {current.user_name_template or 'Okta default'} → {desired.user_name_template}"
            )
        if sorted(current.attribute_statements) != sorted(desired.attribute_statements):
            changed = sorted(set(current.attribute_statements) ^ set(desired.attribute_statements))
            reasons.append(f"attribute statements change ({', '.join(sorted({_statement_name(s) for s in changed}))})")
        if current.pushes_updates is False:
            reasons.append("To App Update User Attributes turned on")
    return PushPlan(reasons=reasons, people=people, max_pushes=max_pushes)


def _statement_name(line: str) -> str:
    return line.split(" ", 1)[0]


def statement_line(
    name: str, kind: str, values: Iterable[str], filter_type: str | None, filter_value: str | None
) -> str:
    """A SAML attribute statement as one comparable line (Okta's app JSON and the spec spell it alike)."""
    said = f"{filter_type} {filter_value}" if kind == "GROUP" else ",".join(values)
    return f"{name} {kind} {said}"


# --- the whole section -------------------------------------------------------------------------------------------


class CapacityReport(_Model):
    """What preflight says about seats, the token owner and mass pushes; `unchecked` names parts not checked."""

    seats: SeatPlan | None = None
    owner: OwnerPlan | None = None
    pushes: PushPlan | None = None
    unchecked: list[str] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def problems(self) -> list[str]:
        return [p for part in (self.seats, self.owner, self.pushes) if part is not None for p in part.problems]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warnings(self) -> list[str]:
        return [w for part in (self.seats, self.owner, self.pushes) if part is not None for w in part.warnings]
