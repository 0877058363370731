"""Remove known secret values (API tokens) from any text before it is shown, logged or written."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

MASK = "[REDACTED]"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; real tokens are far longer


class Redactor:
    """Replaces every known secret (and its URL-encoded form) with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Also redact these values from now on (None and very short values are ignored)."""
        for secret in secrets:
            if not secret or len(secret) < _MIN_SECRET_LENGTH:
                continue
            for form in (secret, quote(secret, safe="")):
                if form not in self._secrets:
                    self._secrets.append(form)
        # Longest first, so a secret that contains another is masked whole.
        self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text
