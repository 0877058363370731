"""Check `role-mapping` (when the stack declares roleMappings): Talend's mappings are the declared ones, every mapped
role exists, and the Okta app sends CustomerRoles for exactly those groups.

Nothing here waits: mappings change only when someone writes them, so one read of each side decides. Roles reach
people at their next SSO sign-in, not at provisioning, so the check is about the tenant's mapping, not any person's.
"""

from __future__ import annotations

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


def check_role_mapping(talend: TalendApiClient, app: App, declared: Mapping[str, list[str]]) -> CheckResult:
    """Read Talend's mappings and roles, then compare. Raises `ApiUnreachable` (verify cannot run); any other
    failed answer (a rejected token, an error after retries, a body that is not a role list) fails the check."""
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
    return role_mapping_check(app, normalized(declared), held, tenant_roles)


def role_mapping_check(app: App, declared: RoleMappings, held: RoleMappings, tenant_roles: list[str]) -> CheckResult:
    """Compare what the stack declares with what Talend holds and what the Okta app sends."""
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


def _problem_order(problem: str) -> tuple[int, str]:
    return (0 if problem.startswith("the Okta app") else 1, problem)
