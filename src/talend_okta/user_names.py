"""When two userNames are one person to Talend: the one rule verify, preflight and explain compare them by.

What Talend treats as the same userName (research, issue 18):
- Talend's SCIM schema declares `userName` with `caseExact: false` and server uniqueness (RFC 7643 §4.1.1), and
  filters `userName eq "…"` case-insensitively (RFC 7643 §2.2); Talend documents no other folding
  (https://api.talend.com/apis/scim-v2/2021-03; /work/shared/reference/talend.md §3, scim.md).
- Case-insensitive here means lowercase, one character for one character: the JVM's `equalsIgnoreCase`,
  SQL `LOWER()` and the IETF's case-insensitive username profile (RFC 8265 §3.3, UsernameCaseMapped: NFC, then
  lowercase) all map `Ä` to `ä` and leave `ß` alone. None applies Unicode *case folding*, which Python's
  `casefold()` does: it turns `straße` into `strasse`, making two Talend users one.
- The Talend stand-in (scim2-server) compares caseExact=false strings the same way (scim2-models'
  `default_comparison_key`: NFC, lowercase, NFC), so the sandbox agrees with this rule (tests/verify prove it).
"""

from __future__ import annotations

import unicodedata


def user_name_key(user_name: str) -> str:
    """What Talend compares a userName by: `JDoe` and `jdoe` are one user, `straße` and `strasse` two."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", user_name).lower())
