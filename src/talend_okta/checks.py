"""A named check's outcome: what verify reports per check, the credentials check returns, and explain will show."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CheckResult(BaseModel):
    """One named check. `steps` lists what is left to do by hand in the Okta admin console."""

    name: str
    ok: bool
    detail: str
    steps: list[str] = Field(default_factory=list)
    settled: bool = Field(default=True, exclude=True)  # a failure waiting cannot fix; False: look again later
    ran: bool = True  # False: not checked (what it needs failed or could not be read); never ok then
