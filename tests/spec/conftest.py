"""The stack tests' fixtures, so the spec's renderers can be compared with the real program under mocks."""

from tests.stack.conftest import run_stack, runs

__all__ = ["run_stack", "runs"]
