"""Role mappings as data: which Okta groups are Talend customer roles, and the Talend roles each one gives.

A person's customer roles reach Talend at SSO sign-in in the app's `CustomerRoles` SAML attribute (a GROUP
statement whose filter names exactly the role groups); Talend's role-mapping API then turns each customer role into
Talend roles. Pure functions: the spec, the role-mapping resource, verify and preflight share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

RoleMappings = dict[str, list[str]]
"""Customer role → Talend role names; the shape the stack exports as `roleMappings`."""

CUSTOMER_ROLES: Final = "CustomerRoles"
"""The SAML attribute Talend reads a person's customer roles from (several values allowed)."""

GROUP_FILTER_TYPE: Final = "REGEX"
"""Okta group attribute statements filter the person's groups by name; a regex lists several exact names."""

_REGEX_SPECIALS: Final = frozenset("\\^$.|?*+()[]{}")


def normalized(mappings: Mapping[str, Iterable[str]]) -> RoleMappings:
    """Mappings compared as Talend applies them: by name, each role set without order or repeats."""
    return {name: sorted(set(roles)) for name, roles in sorted(mappings.items())}


def as_body(mappings: Mapping[str, Iterable[str]]) -> list[dict[str, object]]:
    """The JSON array `POST /security/role-mappings` takes."""
    return [{"name": name, "roles": roles} for name, roles in normalized(mappings).items()]


def unknown_roles(mappings: Mapping[str, Iterable[str]], tenant_roles: Iterable[str]) -> list[str]:
    """Role names in `mappings` the tenant does not have (exact names, as Talend matches them), sorted."""
    known = set(tenant_roles)
    return sorted({role for roles in mappings.values() for role in roles} - known)


def unknown_roles_message(unknown: Sequence[str], tenant_roles: Iterable[str]) -> str:
    """One line naming the unknown roles and listing the tenant's."""
    return (
        f"talendRoles: Talend has no role named {', '.join(repr(r) for r in unknown)}; "
        f"the tenant's roles are: {', '.join(sorted(tenant_roles)) or '(none)'}"
    )


def okta_regex_literal(text: str) -> str:
    """`text` as a regex that matches only itself (Okta evaluates group filters as Java regexes)."""
    return "".join(f"\\{c}" if c in _REGEX_SPECIALS else c for c in text)


def customer_roles_filter(group_names: Iterable[str]) -> str:
    """The CustomerRoles filter: exactly these group names, nothing that merely contains or starts with one."""
    return "^(" + "|".join(okta_regex_literal(name) for name in sorted(group_names)) + ")$"
