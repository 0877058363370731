"""preflight's roles section: who gains or loses which Talend roles, and which role mappings the deploy changes.

A deploy replaces every role mapping of the tenant with the config's (`talendRoles`), so the plan compares the
config with what Talend holds now when preflight may read it (`--talend-api-token`), else with the stack outputs'
`roleMappings` (the last deployment's; mappings made by hand in Talend are then not seen). A person's Talend roles
are those of the role groups they are in, while they are assigned to the app; they apply at the next SSO sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from talend_okta.roles import RoleMappings, normalized, unknown_roles, unknown_roles_message

Source = Literal["talend", "stack outputs", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class RoleChangeForPerson(_Model):
    """One person whose Talend roles change at their next SSO sign-in after the deploy."""

    user_id: str
    user_name: str | None
    who: str  # email or login
    gains: list[str]
    loses: list[str]


class MappingChange(_Model):
    """A customer role (an Okta group's name) whose mapping the deploy adds, changes or removes."""

    name: str
    change: Literal["added", "changed", "removed"]
    before: list[str]
    after: list[str]


class RolePlan(_Model):
    """The roles part of a preflight report."""

    compared_with: Source  # where the mappings before the deploy come from
    mappings: list[MappingChange]
    people: list[RoleChangeForPerson]
    unknown_roles: list[str]  # configured role names Talend does not have (only when Talend was read)
    tenant_roles: list[str]

    @property
    def problems(self) -> list[str]:
        return [unknown_roles_message(self.unknown_roles, self.tenant_roles)] if self.unknown_roles else []

    @property
    def removed(self) -> list[MappingChange]:
        return [m for m in self.mappings if m.change == "removed"]

    def notes(self) -> list[str]:
        notes = []
        if self.compared_with == "stack outputs":
            notes.append(
                "Talend's role mappings were not read (give --talend-api-token): compared with the last deployment's "
                "roleMappings, so mappings made by hand in Talend, which the deploy removes, are not shown."
            )
        if self.mappings or self.people:
            notes.append("Role changes apply at each person's next sign-in through SSO, not at provisioning.")
        return notes


@dataclass(frozen=True)
class Member:
    """A person who is in some role group, as preflight read them from Okta."""

    user_id: str
    user_name: str | None
    who: str
    groups: frozenset[str]  # names of the role groups (before or after) they are in
    assigned_before: bool  # assigned to the app now
    assigned_after: bool  # assigned to the app after the deploy


def plan_roles(
    before: Mapping[str, Iterable[str]],
    after: Mapping[str, Iterable[str]],
    members: Iterable[Member],
    *,
    compared_with: Source,
    tenant_roles: list[str] | None = None,
) -> RolePlan:
    """Compare the mappings before and after the deploy and what they give each person."""
    old, new = normalized(before), normalized(after)
    mappings = [MappingChange(name=n, change="added", before=[], after=new[n]) for n in new.keys() - old.keys()]
    mappings += [MappingChange(name=n, change="removed", before=old[n], after=[]) for n in old.keys() - new.keys()]
    mappings += [
        MappingChange(name=n, change="changed", before=old[n], after=new[n])
        for n in old.keys() & new.keys()
        if old[n] != new[n]
    ]
    people = []
    for member in members:
        had = _roles(old, member.groups) if member.assigned_before else set()
        has = _roles(new, member.groups) if member.assigned_after else set()
        if had != has:
            people.append(
                RoleChangeForPerson(
                    user_id=member.user_id,
                    user_name=member.user_name,
                    who=member.who,
                    gains=sorted(has - had),
                    loses=sorted(had - has),
                )
            )
    return RolePlan(
        compared_with=compared_with,
        mappings=sorted(mappings, key=lambda m: (m.change != "removed", m.name.casefold())),
        people=sorted(people, key=lambda p: ((p.user_name or "").casefold(), p.who)),
        unknown_roles=unknown_roles(new, tenant_roles) if tenant_roles is not None else [],
        tenant_roles=tenant_roles or [],
    )


def _roles(mappings: RoleMappings, groups: frozenset[str]) -> set[str]:
    return {role for group in groups & mappings.keys() for role in mappings[group]}
