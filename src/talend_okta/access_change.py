"""One way to change who can reach Talend: read just before, write, read back, report the outcome.

Every write that changes who is assigned or pushed goes through `apply_change`:
1. `read()` the state just before; `plan(before)` turns it into the steps to write (none: nothing to do).
2. Each `Step.write` in order. A step that fails stops the change; the steps already written are undone in reverse
   order (best effort), and each undo is reported: done, or failed and why.
3. `read()` again, always (after a failure too): the report says what Okta holds now, not what was meant.
4. A write that removed access and stands (its step had no undo, or the undo failed) names, first and loudly, who
   is now without access and the exact command or console steps that give it back (`Step.restore`).

Callers describe writes in the domain's words (`unassign cy.ext from the app`); the module knows nothing of Okta, so
provision, the assignments resource and the push-group resource share it. The caller decides what a successful
read back means (`Change.after`); this module only guarantees the read happened and is reported. A caller that must
not keep unconfirmed writes (a Pulumi resource, whose state will not know them once it fails) passes `check`: a read
back that lacks what was written, or that fails, undoes the writes as a failed step does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from talend_okta.http import ApiError

StateT = TypeVar("StateT")


@dataclass(frozen=True)
class Step:
    """One write of a change, and how to take it back."""

    does: str  # "unassign cy.ext (00u1) from app 0oa1": what the write does, in the domain's words
    write: Callable[[], object]
    undo: Callable[[], object] | None = None  # None: the write cannot be taken back
    undoes: str = ""  # "assign cy.ext (00u1) again": what the undo does
    removes: tuple[str, ...] = ()  # who is without access while this write stands (userNames, group names)
    restore: str = ""  # the exact command or console steps that give `removes` their access back


@dataclass
class Change(Generic[StateT]):
    """What happened, as read back: the report of one `apply_change`."""

    what: str  # "provision cy.ext"
    before: StateT | None = None
    after: StateT | None = None  # read back after the writes (None when that read failed: see `unread`)
    done: list[str] = field(default_factory=list)  # each write that succeeded, in order
    undone: list[str] = field(default_factory=list)  # each undo that succeeded
    not_undone: list[str] = field(default_factory=list)  # each write that stands after a failure, and why
    error: str | None = None  # why the change failed (None: every write succeeded)
    unread: str | None = None  # why the read back failed
    without_access: list[str] = field(default_factory=list)  # removed by a write that stands
    restore: list[str] = field(default_factory=list)  # how to give them access back, one line each

    @property
    def ok(self) -> bool:
        return self.error is None and self.unread is None

    def lines(self) -> list[str]:
        """The report, loudest first: who is without access and how to restore it, then the failure and undos."""
        out: list[str] = []
        if self.without_access:
            out.append(f"NOW WITHOUT ACCESS: {', '.join(self.without_access)} ({self.what} failed part way)")
            out += [f"  restore: {line}" for line in self.restore]
        if self.error:
            out.append(f"{self.what} failed: {self.error}")
        if self.unread:
            out.append(f"{self.what}: could not read the result back: {self.unread}")
        out += [f"  undone: {line}" for line in self.undone]
        out += [f"  NOT undone: {line}" for line in self.not_undone]
        return out


def apply_change(
    what: str,
    read: Callable[[], StateT],
    plan: Callable[[StateT], Sequence[Step]],
    *,
    lost: Callable[[StateT, StateT], Sequence[str]] | None = None,
    check: Callable[[StateT], Sequence[str]] | None = None,
    read_back_unwritten: bool = True,
    errors: tuple[type[Exception], ...] = (ApiError,),
) -> Change[StateT]:
    """Read, write each planned step, read back; undo this change's own writes when one fails (see the module).

    `lost(before, after)` names who had access before and not after, as read: after a failure it also catches a
    write that failed to answer yet took effect (a DELETE whose answer was lost).
    `check(after)` names what the read back lacks after every write succeeded ("group Devs is not assigned"); any,
    or a read back that fails, is a failure and the writes are undone (see the module).
    `read_back_unwritten=False`: nothing planned, nothing written, so the read just before is the result (no second
    request against a rate limit).
    A failure of the first read, or of `plan`, means nothing was written: it is reported as the error, with no read
    back. Only `errors` are caught; anything else is a bug and propagates (after the undos)."""
    change: Change[StateT] = Change(what)
    try:
        before = change.before = read()
        steps = plan(before)
    except errors as err:
        change.error = f"nothing written: {err}"
        return change
    if not steps and not read_back_unwritten:
        change.after = before
        return change
    written: list[Step] = []
    try:
        for step in steps:
            step.write()
            written.append(step)
            change.done.append(step.does)
    except errors as err:
        change.error = f"{_next_step(steps, written)}: {err}"
        _undo(change, written, errors)
    except BaseException:
        _undo(change, written, errors)
        raise
    try:
        after = change.after = read()
    except errors as err:
        change.unread = str(err)
        if check is not None and not change.error:
            _undo(change, written, errors)  # unconfirmed writes: take them back
        return change
    if change.error and lost is not None:
        for who in lost(before, after):
            _without_access(change, who, steps)
    if check is not None and not change.error and (unmet := check(after)):
        change.error = f"read back: {'; '.join(unmet)}"
        _undo(change, written, errors)
    return change


def _next_step(steps: Sequence[Step], written: list[Step]) -> str:
    return steps[len(written)].does


def _undo(change: Change[StateT], written: list[Step], errors: tuple[type[Exception], ...]) -> None:
    """Take back `written`, last first; a write that stays is reported, with whom it left without access."""
    for step in reversed(written):
        if step.undo is None:
            change.not_undone.append(f"{step.does} (it cannot be taken back)")
        else:
            try:
                step.undo()
            except errors as err:
                change.not_undone.append(f"{step.does} ({step.undoes} failed: {err})")
            else:
                change.undone.append(step.undoes)
                continue
        for who in step.removes:
            _without_access(change, who, [step])


def _without_access(change: Change[StateT], who: str, steps: Sequence[Step]) -> None:
    """Name `who` as without access, with the restore line of each step that removes them."""
    if who not in change.without_access:
        change.without_access.append(who)
    for step in steps:
        if who in step.removes and step.restore and step.restore not in change.restore:
            change.restore.append(step.restore)
