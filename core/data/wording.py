"""Small pieces of the sentences the data package writes: a quoted column name, a list in words.

Numbers, shares and counts come from :mod:`core.vocab` (``number``, ``percent``, ``count``).
"""

from __future__ import annotations


def quote(name: str) -> str:
    """'price'."""
    return f"'{name}'"


def and_join(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('' for none)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
