"""verify's `seats` and `token-owner` checks: after a deploy, every application is within its license, and the
owner of the Talend token is an active user Okta still assigns, with the permissions the token needs.

Talend's answers: `GET /account/subscription` (seats per application) and `GET /account/me` (the token's owner),
see `talend_okta.talend_api`. Nothing here waits: seats and owners change only when someone changes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from talend_okta.capacity import PERMISSION_NAMES
from talend_okta.checks import CheckResult
from talend_okta.http import ApiAuthError, ApiError, ApiUnreachable
from talend_okta.okta_api import OktaClient
from talend_okta.talend_api import Subscription, TalendApiClient, TokenOwner

SEATS = "seats"
TOKEN_OWNER = "token-owner"
USERS = "Talend Management Console → Users & Security → Users"


def seats_check(subscription: Subscription) -> CheckResult:
    """Every licensed application holds no more users than its seats; a license listing no seat cannot pass."""
    if not subscription.seats:
        return CheckResult(
            name=SEATS,
            ok=False,
            detail="cannot tell: Talend's subscription lists no application and no seats",
            steps=["Talend Management Console → Subscription: check the license, and that the token's owner sees it"],
        )
    over = [s for s in subscription.seats if s.current_users > s.max_users]
    shown = ", ".join(f"{s.application} {s.current_users}/{s.max_users}" for s in subscription.seats) or "no seats"
    if not over:
        return CheckResult(name=SEATS, ok=True, detail=f"every application is within its license ({shown})")
    return CheckResult(
        name=SEATS,
        ok=False,
        detail="; ".join(f"{s.application} uses {s.current_users} of {s.max_users} seats" for s in over),
        steps=[
            f"{USERS}: remove the {s.application} roles of people who no longer need {s.application} (their seat is "
            f"freed), or ask your Talend account manager for {s.current_users - s.max_users} more {s.application} "
            "seats"
            for s in over
        ],
    )


def token_owner_check(
    owner: TokenOwner,
    *,
    needs: Iterable[str],
    okta_users: int,
    okta_status: str | None,
    assigned: bool | None,
    app_label: str,
) -> CheckResult:
    """The owner as Talend and Okta see them. `okta_users`: how many Okta users have their email; `okta_status`:
    that user's status when there is one; `assigned`: whether the app has them (None: not known)."""
    who = owner.label
    problems: list[str] = []
    steps: list[str] = []
    if owner.type != "USER":
        problems.append(f"the token belongs to the service account {who}, whose tokens expire after 30 minutes")
        steps.append("Create a personal access token of a dedicated Talend user (Profile → Personal access tokens)")
    if owner.active is False:
        problems.append(f"{who} is deactivated in Talend")
        steps.append(f"{USERS} → {who}: reactivate them, or use a token of an active user")
    if missing := sorted(set(needs) - owner.all_permissions):
        lost = ", ".join(f"{PERMISSION_NAMES.get(p, p)} ({p})" for p in missing)
        problems.append(f"{who} lacks {lost}")
        steps.append(f"{USERS} → {who} → Roles: give them a role with {lost}, e.g. Security Administrator")
    if owner.type == "USER" and okta_users != 1:
        # Which Okta user is theirs decides whether Okta can deactivate them: none or several, the check cannot tell.
        found = "no Okta user has" if okta_users == 0 else f"{okta_users} Okta users have"
        email = f"their email {owner.email}" if owner.email else "their email (Talend gives none)"
        problems.append(f"cannot tell whether Okta deactivates {who}: {found} {email}")
        steps.append(
            f"Okta Admin Console → Directory → People: give {who} exactly one Okta user with that email, assigned to "
            f"{app_label}"
        )
    if assigned is False and okta_status is not None:
        problems.append(f"{who} is an Okta user no longer assigned to {app_label}: Okta deactivates them in Talend")
        steps.append(f"Okta Admin Console → Applications → {app_label} → Assignments: assign {who} (or their group)")
    elif okta_status is not None and okta_status not in ("ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED"):
        problems.append(f"{who}'s Okta user is {okta_status}")
        steps.append(f"Okta Admin Console → Directory → People → {who}: activate them")
    if problems:
        return CheckResult(name=TOKEN_OWNER, ok=False, detail="; ".join(problems), steps=steps)
    where = (
        f"assigned to {app_label} in Okta" if assigned else "not an Okta user of the app (Okta cannot deactivate them)"
    )
    return CheckResult(
        name=TOKEN_OWNER,
        ok=True,
        detail=f"the Talend token belongs to {who}, active, with {', '.join(sorted(set(needs)))}, {where}; "
        "talend-okta:talendTokenOwner names them so preflight guards them",
    )


def capacity_checks(
    talend: TalendApiClient, okta: OktaClient, app_id: str, app_label: str, needs: Iterable[str]
) -> list[CheckResult]:
    """Both checks. Raises `ApiUnreachable` (verify cannot run); any other failed answer fails its check."""
    checks = []
    try:
        checks.append(seats_check(talend.subscription()))
    except ApiUnreachable:
        raise
    except ApiError as err:
        why = " (the token's owner may not see the subscription)" if isinstance(err, ApiAuthError) else ""
        checks.append(CheckResult(name=SEATS, ok=False, detail=f"not checked: {err}{why}", ran=False))
    try:
        owner = talend.token_owner()
    except ApiUnreachable:
        raise
    except ApiError as err:
        checks.append(CheckResult(name=TOKEN_OWNER, ok=False, detail=f"could not tell who owns the token: {err}"))
        return checks
    users = okta.find_users_by_email(owner.email) if owner.email else []
    user = users[0] if len(users) == 1 else None
    assigned = okta.get_app_user(app_id, user.id) is not None if user is not None else None
    status = user.status if user is not None else None
    checks.append(
        token_owner_check(
            owner, needs=needs, okta_users=len(users), okta_status=status, assigned=assigned, app_label=app_label
        )
    )
    return checks
