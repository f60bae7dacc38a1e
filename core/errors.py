"""Keel's error contract.

``core`` raises :class:`KeelError` (or a subclass) for anything the *user* can fix: a bad file,
a wrong column name, a model that no longer exists. Each carries a plain ``message`` (what went
wrong, naming the file/column/row) and a ``hint`` (what to do next). Pages show both; the CLI
prints them on stderr and exits 2.

Anything else is a bug: :func:`core.bugs.log_bug` writes it under ``KEEL_HOME/logs`` with a short id
that the user is shown instead of a traceback (the CLI exits 1).
"""

from __future__ import annotations


class KeelError(ValueError):
    """A problem the user can fix. ``message`` says what happened, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(KeelError):
    """The user's file, column choice or parameter is not usable."""


class NotFoundError(KeelError):
    """A dataset, model or batch the user named does not exist (any more)."""


class IntegrityError(KeelError):
    """Something stored by Keel no longer matches what was recorded (e.g. an artifact's hash)."""


class AccessDenied(KeelError):
    """The person may not do this (or Keel cannot tell who they are). The CLI exits 2 with it."""
