"""Counts in words for reports: `1 person`, `2 people`, `1 round`."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and the noun in the form it takes: counted(1, "person", "people") → "1 person"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
