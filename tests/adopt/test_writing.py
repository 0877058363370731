"""adopt writes its stack config safely (issue 18 item 8): never through a symlink, never over an existing file
(a dangling symlink included) without --force, atomically, and a crash leaves the old file whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from talend_okta import adopt
from talend_okta.adopt import write_config
from talend_okta.http import InputError

OLD = "config:\n  talend-okta:region: us\n"
NEW = "config:\n  talend-okta:region: eu\n"


def leftovers(folder: Path, keep: set[str]) -> set[str]:
    return {p.name for p in folder.iterdir()} - keep


def test_a_planted_symlink_at_the_temporary_name_is_not_followed(tmp_path: Path) -> None:
    """The old temporary name was predictable: a symlink planted there made adopt write wherever it pointed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    target = tmp_path / "Pulumi.acme.yaml"
    (tmp_path / ".Pulumi.acme.yaml.adopt-tmp").symlink_to(victim)

    write_config(target, NEW, force=False)

    assert victim.read_text() == "precious\n"
    assert target.read_text() == NEW
    assert not target.is_symlink()


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling-symlink", "symlink-to-a-file"])
def test_a_symlink_at_the_target_needs_force_and_is_replaced_not_followed(tmp_path: Path, dangling: bool) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    if not dangling:
        elsewhere.write_text(OLD)
    target = tmp_path / "Pulumi.acme.yaml"
    target.symlink_to(elsewhere)

    with pytest.raises(InputError, match=r"Pulumi\.acme\.yaml exists: .*--force"):
        write_config(target, NEW, force=False)
    assert target.is_symlink()

    write_config(target, NEW, force=True)
    assert not target.is_symlink()
    assert target.read_text() == NEW
    assert elsewhere.exists() is not dangling
    if not dangling:
        assert elsewhere.read_text() == OLD  # the file the link pointed to is left alone


def test_a_file_appearing_after_the_check_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --force the write itself refuses an existing file (no window between the check and the rename)."""
    target = tmp_path / "Pulumi.acme.yaml"
    monkeypatch.setattr(adopt, "check_writable", lambda path, *, force: target.write_text(OLD))

    with pytest.raises(InputError, match="exists"):
        write_config(target, NEW, force=False)

    assert target.read_text() == OLD
    assert leftovers(tmp_path, {"Pulumi.acme.yaml"}) == set()


def test_a_crash_while_writing_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "Pulumi.acme.yaml"
    target.write_text(OLD)

    def crash(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(InputError, match=r"cannot write .*No space left on device"):
        write_config(target, NEW, force=True)

    assert target.read_text() == OLD
    assert leftovers(tmp_path, {"Pulumi.acme.yaml"}) == set()


def test_the_written_file_is_complete_and_readable_as_usual(tmp_path: Path) -> None:
    target = tmp_path / "Pulumi.acme.yaml"
    write_config(target, NEW, force=False)
    assert target.read_text() == NEW
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert leftovers(tmp_path, {"Pulumi.acme.yaml"}) == set()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
