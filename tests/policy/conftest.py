"""The stack tests' fixtures, so a policy test can run the real program under mocks."""

from tests.stack.conftest import run_stack, runs

__all__ = ["run_stack", "runs"]
