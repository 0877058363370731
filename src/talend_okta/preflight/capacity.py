"""preflight's capacity section: read what it needs (Talend's license, the app's settings in Okta), then plan seats,
the token owner's lockout and mass pushes with `talend_okta.capacity`.

A read that fails ends preflight (exit 2) with a line naming the part that could not be checked: never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from talend_okta.capacity import (
    SSO_MANAGE,
    USERS_MANAGE,
    AppProfile,
    CapacityReport,
    Identity,
    RoleCatalog,
    plan_pushes,
    plan_seats,
    plan_token_owner,
    role_changes,
    statement_line,
)
from talend_okta.http import ApiError
from talend_okta.okta_api import OktaClient
from talend_okta.preflight.plan import PreflightReport
from talend_okta.preflight.roles import Member
from talend_okta.settings import StackSettings
from talend_okta.spec import app_spec
from talend_okta.talend_api import Subscription

T = TypeVar("T")


def read_part(part: str, read: Callable[[], T]) -> T:
    """`read()`, its failure named after the part of the report it leaves unchecked."""
    try:
        return read()
    except ApiError as err:
        raise ApiError(f"{part} could not be checked: {err}", err.service) from None


def current_profile(okta: OktaClient, app_id: str) -> AppProfile:
    """What every assigned person's profile carries for Talend now: the app's username format, its attribute
    statements, and whether To App pushes profile updates."""
    app = okta.get_app(app_id)
    feature = okta.get_user_provisioning(app_id)
    return AppProfile(
        user_name_template=app.credentials.user_name_template.template,
        attribute_statements=[
            statement_line(s.name, s.type, s.values, s.filter_type, s.filter_value)
            for s in app.settings.attribute_statements
        ],
        pushes_updates=feature.updates_profiles if feature is not None else None,
    )


def desired_profile(settings: StackSettings, current: AppProfile | None) -> AppProfile:
    spec = app_spec(settings)
    updates = spec.provisioning.update_user_attributes if spec.provisioning is not None else None
    return AppProfile(
        user_name_template=spec.saml.user_name_template,
        attribute_statements=[
            statement_line(s.name, s.type, s.values, s.filter_type, s.filter_value)
            for s in spec.saml.attribute_statements
        ],
        # provisioning.manage: false leaves the switch to the admin console: unchanged
        pushes_updates=updates if updates is not None else (current.pushes_updates if current else None),
    )


def plan_capacity(
    settings: StackSettings,
    report: PreflightReport,
    members: list[Member],
    *,
    before: Mapping[str, list[str]],
    after: Mapping[str, list[str]],
    subscription: Subscription | None,
    catalog: RoleCatalog | None,
    current: AppProfile | None,
    max_pushes: int | None,
) -> CapacityReport:
    """The section, from what was read. `subscription` and `catalog` are None when Talend was not read."""
    changes = role_changes(members, before, after)
    unchecked = []
    seats = None
    if subscription is not None:
        seats = plan_seats(subscription.seats, [change for _, change in changes], catalog)
    else:
        unchecked.append("seats: give a Talend token that may read the subscription (--talend-api-token)")
    owner = None
    if settings.talend_token_owner:
        needs = [USERS_MANAGE] + ([SSO_MANAGE] if settings.role_mappings and not settings.talend_api_token else [])
        owner = plan_token_owner(
            settings.talend_token_owner,
            deactivated=[Identity(p.user_name, p.email, p.login) for p in report.deactivated],
            changes=changes,
            catalog=catalog,
            needed=needs,
            deactivates_in_talend=settings.provisioning.deactivate_users,
        )
    else:
        unchecked.append("token owner: set talend-okta:talendTokenOwner (verify names who owns the token)")
    pushes = plan_pushes(current, desired_profile(settings, current), report.unchanged, max_pushes)
    return CapacityReport(seats=seats, owner=owner, pushes=pushes, unchecked=unchecked)
