"""Remove known secret values (API tokens) from any text before it is shown, logged or written.

Not only the whole secret: any run of `FRAGMENT` or more of its consecutive characters is masked too, so a server
that quotes part of a token, or a message cut in the middle of one, shows nothing of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[REDACTED]"
FRAGMENT = 8  # shortest run of a secret's characters that is masked
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words; real tokens are far longer


class Redactor:
    """Replaces every known secret, its URL-encoded form, and any 8-character run of either with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._forms: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Also redact these values from now on (None and very short values are ignored)."""
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET_LENGTH:
                self._forms.update((secret, quote(secret, safe=""), quote(secret, safe="").replace("-", "%2D")))
        # What to look for: secrets shorter than a fragment whole, longer ones by each run of FRAGMENT characters.
        # A lookahead finds every (overlapping) start; the masked spans are merged below.
        needles = set()
        for form in self._forms:
            if len(form) < FRAGMENT:
                needles.add(form)
            else:
                needles.update(form[i : i + FRAGMENT] for i in range(len(form) - FRAGMENT + 1))
        longest_first = sorted(needles, key=len, reverse=True)
        self._pattern = re.compile(f"(?=({'|'.join(map(re.escape, longest_first))}))") if needles else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        spans: list[list[int]] = []
        for match in self._pattern.finditer(text):
            start, end = match.start(1), match.end(1)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for start, end in spans:
            parts += [text[done:start], MASK]
            done = end
        parts.append(text[done:])
        return "".join(parts)
