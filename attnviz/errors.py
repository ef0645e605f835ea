"""Errors that carry a message fit to show a user (CLI line, st.error), never a traceback."""
from __future__ import annotations

from collections.abc import Iterable


def first_line(exc: BaseException, *, with_type: bool = False) -> str:
    """An exception's message cut to its first line (300 characters at most), or its type's name if empty;
    ``with_type`` puts the type's name in front."""
    text = str(exc).strip()
    line = text.splitlines()[0][:300] if text else ""
    if not line:
        return type(exc).__name__
    return f"{type(exc).__name__}: {line}" if with_type else line


class AttnvizError(Exception):
    """Base class: the message is meant for the person using attnviz."""


class InputError(AttnvizError, ValueError):
    """The text or an option given by the user cannot be used (a ValueError too)."""


class CheckpointError(AttnvizError):
    """A checkpoint is missing, damaged or does not match the code."""


class UnknownOptionError(InputError):
    """A named choice is not one of the valid ones; the message lists them."""

    def __init__(self, kind: str, value: object, valid: Iterable[str]) -> None:
        options = ", ".join(sorted(valid))
        super().__init__(f"unknown {kind} {value!r}; valid choices: {options}")


class DocumentError(InputError):
    """A file meant to be an exported explanation is not one (or is damaged)."""
