"""Errors that carry a message fit to show a user (CLI line, st.error), never a traceback."""
from __future__ import annotations

from collections.abc import Iterable


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
