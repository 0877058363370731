"""The one way to change access (talend_okta.access_change): read, write, read back, undo on failure, loud losses."""

from __future__ import annotations

import pytest

from talend_okta.access_change import Step, apply_change
from talend_okta.http import ApiError


class Org:
    """Who is assigned; writes that can be told to fail."""

    def __init__(self, *assigned: str) -> None:
        self.assigned = set(assigned)
        self.failing: set[str] = set()  # "assign ann", "unassign ann", "read"
        self.calls: list[str] = []

    def read(self) -> frozenset[str]:
        self.calls.append("read")
        if "read" in self.failing:
            raise ApiError("Okta answered GET with 503")
        return frozenset(self.assigned)

    def assign(self, who: str) -> None:
        self.calls.append(f"assign {who}")
        if f"assign {who}" in self.failing:
            raise ApiError(f"Okta answered POST {who} with 503")
        self.assigned.add(who)

    def unassign(self, who: str, *, lose_the_answer: bool = False) -> None:
        self.calls.append(f"unassign {who}")
        if lose_the_answer:
            self.assigned.discard(who)
        if f"unassign {who}" in self.failing:
            raise ApiError(f"Okta answered DELETE {who} with 503")
        self.assigned.discard(who)


def reassign(org: Org, who: str, *, lose_the_answer: bool = False) -> list[Step]:
    restore = f"talend-okta: assign {who} in Okta → the app → Assignments"
    return [
        Step(
            f"unassign {who}",
            lambda: org.unassign(who, lose_the_answer=lose_the_answer),
            lambda: org.assign(who),
            f"assign {who} again",
            removes=(who,),
            restore=restore,
        ),
        Step(f"assign {who}", lambda: org.assign(who), lambda: org.unassign(who), f"unassign {who}"),
    ]


def lost(before: frozenset[str], after: frozenset[str]) -> list[str]:
    return sorted(before - after)


def test_a_change_reads_before_writes_and_reads_back() -> None:
    org = Org("ann")
    change = apply_change("re-assign ann", org.read, lambda before: reassign(org, "ann"))
    assert org.calls == ["read", "unassign ann", "assign ann", "read"]
    assert change.ok
    assert (change.before, change.after) == (frozenset({"ann"}), frozenset({"ann"}))
    assert change.done == ["unassign ann", "assign ann"]
    assert change.lines() == []


def test_nothing_planned_writes_nothing() -> None:
    org = Org("ann")
    change = apply_change("nothing", org.read, lambda before: [])
    assert org.calls == ["read", "read"]
    assert change.ok
    assert change.done == []


def test_a_failed_step_undoes_the_writes_before_it_and_reports_each() -> None:
    org = Org("ann")
    org.failing.add("assign ann")  # the second write fails; its undo (assign again) fails too, Okta is down
    change = apply_change("re-assign ann", org.read, lambda before: reassign(org, "ann"))
    assert not change.ok
    assert change.after == frozenset()
    assert change.without_access == ["ann"]
    lines = change.lines()
    assert lines[0] == "NOW WITHOUT ACCESS: ann (re-assign ann failed part way)"  # loudly and first
    assert lines[1] == "  restore: talend-okta: assign ann in Okta → the app → Assignments"
    assert "re-assign ann failed: assign ann: Okta answered POST ann with 503" in lines
    assert any(line.startswith("  NOT undone: unassign ann (assign ann again failed") for line in lines)


def test_an_undo_that_works_leaves_nobody_without_access() -> None:
    org = Org("ann")
    attempts = iter([ApiError("503"), None])

    def assign_once_failing() -> None:
        if (err := next(attempts)) is not None:
            raise err
        org.assign("ann")

    steps = [
        Step("unassign ann", lambda: org.unassign("ann"), assign_once_failing, "assign ann again", removes=("ann",)),
        Step("assign ann", assign_once_failing),
    ]
    change = apply_change("re-assign ann", org.read, lambda before: steps)
    assert change.error == "assign ann: 503"
    assert change.undone == ["assign ann again"]
    assert change.without_access == []
    assert change.after == frozenset({"ann"})
    assert not change.lines()[0].startswith("NOW WITHOUT ACCESS")


def test_a_write_whose_answer_was_lost_is_caught_by_the_read_back() -> None:
    org = Org("ann")
    org.failing.add("unassign ann")  # Okta unassigned ann, the answer never came
    change = apply_change(
        "re-assign ann", org.read, lambda before: reassign(org, "ann", lose_the_answer=True), lost=lost
    )
    assert change.done == []
    assert change.undone == []
    assert change.without_access == ["ann"]
    assert change.restore == ["talend-okta: assign ann in Okta → the app → Assignments"]


def test_a_failed_first_read_writes_nothing() -> None:
    org = Org("ann")
    org.failing.add("read")
    change = apply_change("re-assign ann", org.read, lambda before: reassign(org, "ann"))
    assert org.calls == ["read"]
    assert change.error == "nothing written: Okta answered GET with 503"


def test_a_failed_read_back_is_reported() -> None:
    org = Org("ann")

    def fail_reads() -> None:
        org.failing.add("read")

    change = apply_change("assign bob", org.read, lambda before: [Step("assign bob", fail_reads)])
    assert change.done == ["assign bob"]
    assert not change.ok
    assert change.lines() == ["assign bob: could not read the result back: Okta answered GET with 503"]


def test_a_bug_still_undoes_then_propagates() -> None:
    org = Org("ann")

    def bug() -> None:
        raise KeyError("bug")

    steps = [
        Step("unassign ann", lambda: org.unassign("ann"), lambda: org.assign("ann"), "assign ann again"),
        Step("x", bug),
    ]
    with pytest.raises(KeyError):
        apply_change("re-assign ann", org.read, lambda before: steps)
    assert org.assigned == {"ann"}


def test_a_state_read_back_as_none_still_counts_who_lost_access() -> None:
    """The state may be None (an app user read back as not found): that is a reading, not a failed read."""
    assigned = {"ann"}

    def read() -> str | None:
        return "ann" if "ann" in assigned else None

    def unassign_losing_the_answer() -> None:
        assigned.discard("ann")
        raise ApiError("Okta answered DELETE with 404")

    change = apply_change(
        "re-assign ann",
        read,
        lambda before: [Step("unassign ann", unassign_losing_the_answer, removes=("ann",), restore="assign ann")],
        lost=lambda before, after: ["ann"] if before and not after else [],
    )
    assert change.after is None
    assert change.without_access == ["ann"]
    assert change.lines()[0] == "NOW WITHOUT ACCESS: ann (re-assign ann failed part way)"


def test_a_read_back_that_check_finds_short_undoes_the_writes() -> None:
    """A Pulumi resource must not keep writes its failed state will not know: `check` undoes an unmet read back."""
    org = Org()
    steps = [Step("assign ann", lambda: org.assign("ann"), lambda: org.unassign("ann"), "unassign ann again")]
    change = apply_change(
        "assign ann and bob", org.read, lambda before: steps, check=lambda after: [] if "bob" in after else ["no bob"]
    )
    assert org.calls == ["read", "assign ann", "read", "unassign ann"]
    assert change.error == "read back: no bob"
    assert change.undone == ["unassign ann again"]
    assert org.assigned == set()


def test_with_check_an_unreadable_read_back_undoes_the_writes() -> None:
    org = Org()

    def assign_then_reads_fail() -> None:
        org.assign("ann")
        org.failing.add("read")

    steps = [Step("assign ann", assign_then_reads_fail, lambda: org.unassign("ann"), "unassign ann again")]
    change = apply_change("assign ann", org.read, lambda before: steps, check=lambda after: [])
    assert not change.ok
    assert change.undone == ["unassign ann again"]
    assert change.lines() == [
        "assign ann: could not read the result back: Okta answered GET with 503",
        "  undone: unassign ann again",
    ]


def test_nothing_planned_can_skip_the_read_back() -> None:
    org = Org("ann")
    change = apply_change("nothing", org.read, lambda before: [], read_back_unwritten=False)
    assert org.calls == ["read"]
    assert change.ok
    assert change.after == frozenset({"ann"})
