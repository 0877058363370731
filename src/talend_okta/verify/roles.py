"""Check `role-mapping` (when the stack declares roleMappings): Talend's mappings are the declared ones, every mapped
role exists, and the Okta app sends CustomerRoles for exactly those groups, whose names the filter matches as Okta
holds them (Okta compares them case-sensitively; the stack's group lookup does not).

Nothing here waits: mappings change only when someone writes them, so one read of each side decides. Roles reach
people at their next SSO sign-in, not at provisioning, so the check is about the tenant's mapping, not any person's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from talend_okta.checks import CheckResult
from talend_okta.http import ApiAuthError, ApiError, ApiUnreachable
from talend_okta.okta_api import App
from talend_okta.roles import (
    CUSTOMER_ROLES,
    GROUP_FILTER_TYPE,
    RoleMappings,
    customer_roles_filter,
    normalized,
    unknown_roles,
)
from talend_okta.talend_api import SSO_PERMISSION, TalendApiClient
from talend_okta.verify.report import ROLE_MAPPING


def check_role_mapping(
    talend: TalendApiClient, app: App, declared: Mapping[str, list[str]], okta_groups: Mapping[str, str | None]
) -> CheckResult:
    """Read Talend's mappings and roles, then compare. Raises `ApiUnreachable` (verify cannot run); any other
    failed answer (a rejected token, an error after retries, a body that is not a role list) fails the check.
    `okta_groups`: each declared customer role → the name of its Okta group as Okta spells it (group_names)."""
    try:
        held = talend.role_mappings()
        tenant_roles = talend.role_names()
    except ApiUnreachable:
        raise
    except ApiAuthError as err:
        why = f"the token's owner needs {SSO_PERMISSION}" if err.status == 403 else "the token is wrong or expired"
        return CheckResult(
            name=ROLE_MAPPING,
            ok=False,
            detail=f"{err} ({why}; --talend-api-token, TALEND_API_TOKEN)",
        )
    except ApiError as err:
        return CheckResult(name=ROLE_MAPPING, ok=False, detail=str(err))
    return role_mapping_check(app, normalized(declared), held, tenant_roles, okta_groups)


def role_mapping_check(
    app: App,
    declared: RoleMappings,
    held: RoleMappings,
    tenant_roles: list[str],
    okta_groups: Mapping[str, str | None],
) -> CheckResult:
    """Compare what the stack declares with what Talend holds and what the Okta app sends, and prove the app's
    filter matches the groups Okta holds: Okta matches it case-sensitively, while the stack's group lookup is loose
    (`talend developers` finds `Talend Developers`), so a name spelled otherwise gives its members no role."""
    problems: list[str] = []
    statement = next((s for s in app.settings.attribute_statements if s.name == CUSTOMER_ROLES), None)
    expected_filter = customer_roles_filter(list(declared))
    if statement is None:
        problems.append(f"the Okta app sends no {CUSTOMER_ROLES} attribute")
    elif (statement.type, statement.filter_type, statement.filter_value) != (
        "GROUP",
        GROUP_FILTER_TYPE,
        expected_filter,
    ):
        sends = f"{statement.type} {statement.filter_type or ''} {statement.filter_value or ''}".strip()
        problems.append(
            f"the Okta app's {CUSTOMER_ROLES} is {sends}, expected GROUP {GROUP_FILTER_TYPE} {expected_filter}"
        )

    regex = statement.filter_value if statement and statement.filter_type == GROUP_FILTER_TYPE else None
    for name in declared:
        actual = okta_groups.get(name)
        if actual is None:
            problems.append(f"no Okta group is named {name!r}: nobody is sent that customer role")
        elif not _matches(regex or expected_filter, actual):
            problems.append(
                f"the {CUSTOMER_ROLES} filter matches no group for {name!r}: Okta's group is {actual!r}, and Okta "
                "compares the names case-sensitively, so its members get no role and the stack's next preview stops "
                "(spell it as Okta does in talend-okta:groups)"
            )

    for name, roles in declared.items():
        if name not in held:
            problems.append(f"{name!r} is not mapped in Talend (declared: {', '.join(roles)})")
        elif held[name] != roles:
            problems.append(
                f"{name!r} maps to {', '.join(held[name]) or 'no role'} in Talend, declared: {', '.join(roles)}"
            )
    for name in held.keys() - declared.keys():
        problems.append(
            f"Talend also maps {name!r} to {', '.join(held[name]) or 'no role'} (not declared: the next deploy "
            "removes it)"
        )
    if unknown := sorted(set(unknown_roles(held, tenant_roles)) | set(unknown_roles(declared, tenant_roles))):
        problems.append(f"Talend has no role named {', '.join(repr(r) for r in unknown)}")

    if problems:
        return CheckResult(name=ROLE_MAPPING, ok=False, detail="; ".join(sorted(problems, key=_problem_order)))
    mapped = "1 customer role" if len(declared) == 1 else f"{len(declared)} customer roles"
    return CheckResult(
        name=ROLE_MAPPING,
        ok=True,
        detail=f"Talend maps {mapped} as declared, to roles it has; the app sends {CUSTOMER_ROLES} for "
        "those groups (people get the roles at their next SSO sign-in)",
    )


def _matches(regex: str, group_name: str) -> bool:
    """Does Okta's group filter (a Java regex; ours are escaped literals, which Python reads alike) take the name?"""
    try:
        return re.fullmatch(regex, group_name) is not None
    except re.error:
        return False


def _problem_order(problem: str) -> tuple[int, str]:
    return (0 if problem.startswith("the Okta app") else 1, problem)
