"""The engine tier's workspace: the real CLI and `stack/` in a throwaway project (talend_okta_sandbox.engine)."""

from __future__ import annotations

from pathlib import Path

from talend_okta_sandbox.engine import ENGINE_BIN, PulumiWorkspace, Result

__all__ = ["ENGINE_BIN", "PulumiProject", "Result"]

PASSPHRASE = "engine-tier-passphrase"


class PulumiProject(PulumiWorkspace):
    """A workspace under a test's tmp_path; a failed command fails the test with the CLI's output."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / "pulumi", PASSPHRASE)

    def run(self, *args: str, check: bool = True, timeout: float = 300, stdin: str | None = None) -> Result:
        """Also fails any run where the CLI warns that the Okta plugin is not the version the SDK pin asks for: what
        users run (their CLI fetches the pinned version) must be what this tier proves."""
        try:
            result = super().run(*args, check=check, timeout=timeout, stdin=stdin)
        except RuntimeError as err:
            raise AssertionError(str(err)) from None
        assert "is expected to have version" not in result.output, result.output
        return result
