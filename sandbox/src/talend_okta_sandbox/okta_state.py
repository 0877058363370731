"""The Okta sandbox's state: plain pydantic records, saved as one JSON file.

Records hold only what Okta stores; the JSON shapes the API returns are built from them in `okta_json`.
The SCIM token of a provisioning connection is kept sealed (see `seal`), so the state file never holds it
in plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, Field


class User(BaseModel):
    id: str
    status: str
    created: str
    activated: str | None
    status_changed: str
    last_updated: str
    profile: dict[str, Any]


class Group(BaseModel):
    id: str
    created: str
    last_updated: str
    last_membership_updated: str
    type: str = "OKTA_GROUP"
    profile: dict[str, Any]
    members: set[str] = Field(default_factory=set)


class AppUser(BaseModel):
    """A user's assignment to an app, with its provisioning status as Okta tracks it."""

    user_id: str
    direct: bool
    """Assigned to the user directly (scope USER); otherwise only through an assigned group (scope GROUP)."""
    user_name: str
    user_name_fixed: bool = False
    """The app username was set explicitly, so profile changes don't recompute it."""
    status: str
    sync_state: str
    external_id: str | None = None
    created: str
    last_updated: str
    status_changed: str
    last_sync: str | None = None
    sync_error: str | None = None


class GroupAssignment(BaseModel):
    group_id: str
    priority: int
    profile: dict[str, Any] = Field(default_factory=dict)
    last_updated: str


class PushMapping(BaseModel):
    id: str
    source_group_id: str
    target_group_id: str
    target_group_name: str
    status: str
    created: str
    last_updated: str
    scim_group_id: str | None = None
    error_summary: str | None = None


class Connection(BaseModel):
    base_url: str | None
    sealed_token: str | None
    status: str
    auth_scheme: str = "TOKEN"


class App(BaseModel):
    id: str
    body: dict[str, Any]
    """The app as Okta returns it, without `id` and `_links`."""
    provisioning: bool
    """SCIM provisioning can be switched on for the app (otherwise Okta answers E0000001)."""
    connection_api: bool = True
    """Okta's Connections and Features APIs work for the app. False: as for a custom SAML app whose SCIM an admin
    configured by hand: the connection reads UNKNOWN, the features answer E0000001, only `features` tells."""
    connection: Connection | None = None
    user_provisioning: dict[str, Any]
    """USER_PROVISIONING capabilities: create.lifecycleCreate, update.profile, update.lifecycleDeactivate, …"""
    groups: dict[str, GroupAssignment] = Field(default_factory=dict)
    users: dict[str, AppUser] = Field(default_factory=dict)
    push_mappings: dict[str, PushMapping] = Field(default_factory=dict)
    deprovisioning: dict[str, AppUser] = Field(default_factory=dict)
    """Unassigned app users whose SCIM user still has to be deactivated (or whose deactivation failed)."""
    scim_group_deletions: list[str] = Field(default_factory=list)


class State(BaseModel):
    version: int = 1
    next_id: int = 1
    users: dict[str, User] = Field(default_factory=dict)
    groups: dict[str, Group] = Field(default_factory=dict)
    apps: dict[str, App] = Field(default_factory=dict)
    user_tasks: list[str] = Field(default_factory=list)
    """Pending provisioning of app users, as `app_id/user_id`, oldest first."""
    group_tasks: list[str] = Field(default_factory=list)
    """Pending group pushes, as `app_id/mapping_id` (or `app_id/` for SCIM group deletions)."""
    log: list[dict[str, Any]] = Field(default_factory=list)
    """The System Log: events as `/api/v1/logs` returns them, oldest first (okta_log)."""
    log_first_seq: int = 1
    """The sequence number of `log[0]`; the oldest events are dropped past `okta_log.LOG_CAP`."""


def load_state(path: Path) -> State:
    """The saved state, or an empty one when the file doesn't exist yet."""
    if not path.exists():
        return State()
    return State.model_validate_json(path.read_bytes())


def save_state(state: State, path: Path) -> None:
    """Write atomically (temp file + rename), so a crash leaves the old or the new state, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(state.model_dump_json().encode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Sealing: Fernet (AES-CBC + HMAC) keyed with a hash of the sandbox's own API token, to keep the SCIM token out of
# the state file's plaintext.


def _fernet(api_token: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"talend-okta-sandbox:" + api_token.encode()).digest()))


def seal(secret: str, api_token: str) -> str:
    return _fernet(api_token).encrypt(secret.encode()).decode()


def unseal(sealed: str, api_token: str) -> str | None:
    """The secret, or None when it was sealed under another API token (or is damaged)."""
    try:
        return _fernet(api_token).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
