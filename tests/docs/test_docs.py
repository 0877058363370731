"""The README stays a page a newcomer finishes (at most 8 KB) and every guide it or the docs link to exists; the
settings reference (docs/settings.md) is what its one source, settings.py and Pulumi.yaml, says."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from typer.main import get_command

from talend_okta.cli import app
from talend_okta.settings import StackSettings

REPO = Path(__file__).parents[2]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(page: Path) -> list[tuple[str, Path]]:
    """(link, the file it names) for each link of `page` that is not a web address or an anchor on the page."""
    found = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        found.append((target, (page.parent / target.split("#")[0]).resolve()))
    return found


def test_the_readme_is_at_most_8_kb() -> None:
    assert len(README.read_bytes()) <= 8 * 1024


def test_every_docs_link_in_the_readme_resolves() -> None:
    links = relative_links(README)
    assert {target for target, _ in links} >= {"docs/deploying.md", "docs/settings.md", "docs/development.md"}
    missing = [t for t, path in links if not path.is_file()]
    assert missing == []


@pytest.mark.parametrize("page", DOCS, ids=[page.name for page in DOCS])
def test_every_link_in_the_docs_resolves(page: Path) -> None:
    missing = []
    for target, path in relative_links(page):
        if not path.exists():
            missing.append(target)
            continue
        anchor = target.partition("#")[2]
        if anchor and path.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
            slugs = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}
            if anchor not in slugs:
                missing.append(target)
    assert missing == []


def test_the_readme_names_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    commands = set(getattr(get_command(app), "commands", {}))
    assert commands >= {"verify", "preflight", "adopt"}
    assert [c for c in commands if f"`talend-okta {c}" not in text] == []
    assert "make demo" in text
    assert "make test" in text
    assert ".venv/bin/talend-okta" in text
    assert "source .venv/bin/activate" in text


def settings_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("settings_reference", REPO / "tools" / "settings_reference.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_settings_page_is_generated_from_the_settings_model() -> None:
    """Change a setting, run `python tools/settings_reference.py`, commit the page: one source for the reference."""
    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings_reference().render()
    for name, field in StackSettings.model_fields.items():  # what the generator is for, in case it breaks
        assert f"| `{field.alias or name}` |" in page
        assert field.description
        assert field.description.split(" (")[0].split(":")[0] in page


def test_pulumi_yaml_describes_each_key_as_the_settings_model_does() -> None:
    declared: dict[str, Any] = yaml.safe_load((REPO / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    fields = {field.alias or name: field for name, field in StackSettings.model_fields.items()}
    assert {key: entry["description"] for key, entry in declared.items()} == {
        key: fields[key].description for key in declared
    }


def test_one_way_to_hold_the_okta_token() -> None:
    """The Okta token is always OKTA_API_TOKEN, never a stack secret (the provider prefers `okta:apiToken`, so every
    preview, a pull request's too, would run with it): the example stack, the README and every page say so alike."""
    sources = [README, REPO / "Pulumi.dev.yaml", *DOCS]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert not re.search(r"config set (--secret )?okta:apiToken", text), source.name
    for name in ("Pulumi.dev.yaml", "docs/deploying.md", "docs/pull-requests.md", "docs/ci.md", "docs/adopt.md"):
        text = " ".join((REPO / name).read_text(encoding="utf-8").split())
        assert "OKTA_API_TOKEN" in text, name
        assert re.search(r"never in the stack config", text, re.IGNORECASE), name


def test_the_runbook_gives_each_procedure_a_command_and_what_verify_shows() -> None:
    """docs/operations.md: every procedure on-call needs, each with commands to run and what verify shows after."""
    page = REPO / "docs" / "operations.md"
    assert "(docs/operations.md)" in README.read_text(encoding="utf-8")
    sections = re.split(r"^## ", page.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    titles = [section.splitlines()[0] for section in sections]
    assert titles == [
        "Back up the state",
        "Roll back a change",
        "A failed or partial `pulumi up`",
        "Re-run the first deploy",
        "Rotate the Talend token",
        "Rotate the Okta token",
        "Joiners, movers and leavers",
    ]
    for title, section in zip(titles, sections, strict=True):
        assert re.search(r"\*\*verify( with [^*]+)?\*\*|\*\*verify afterwards:\*\*", section), title
        assert re.search(r"`(pulumi|talend-okta|ci/pipeline\.sh|git) [^`]+`|```bash", section), title
    rotations = [s for t, s in zip(titles, sections, strict=True) if t.startswith("Rotate")]
    for section in rotations:  # both consoles, the stack or its absence, and CI, step by step
        assert "okta-admin" in section
        assert re.search(r"^\d\. ", section, re.MULTILINE)
    talend, okta = (" ".join(section.split()) for section in rotations)
    assert "Talend Management Console" in talend
    assert "Okta Admin Console" in talend  # the SCIM connection's API token
    assert "pulumi config set --secret talend-okta:scimToken" in talend
    assert "Okta Admin Console" in okta
    assert "needs no `pulumi up`" in okta  # the token is in no stack config and no state
