"""verify's own inputs: how to poll. Where Okta and Talend are is `talend_okta.target.connection_settings`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollSettings:
    """How long to wait for Okta, and how often to look."""

    timeout: float = 300.0  # 0: a single round
    interval: float = 5.0  # first wait between rounds; grows by half each round
    max_interval: float = 30.0
    request_timeout: float = 30.0  # per HTTP request
    scim_concurrency: int = 4  # SCIM pages read at once, once totalResults is known (1: one after the other)
