"""Every ``st.session_state`` key of the page, behind named accessors: no other module touches it.

Widget keys that the page reads outside their widget (a button's press is read at the start of the next
run, before the button is drawn again) are named here too.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from attnviz.explanation import Explanation
from attnviz.measures import Stability

TEXT, EXAMPLE, UPLOAD, OPEN, INSIDE, FOCUS = "text", "example", "upload", "open", "inside", "focus"
EXPLAIN_BUTTON = "explain-button"
COMPARE_BUTTON = "compare-explain"
COUNTERFACTUAL_BUTTON = "counterfactual-button"


def pressed(button: str) -> bool:
    """Whether the button under this key was pressed (true for the one run after the press)."""
    return bool(st.session_state.get(button))


# ------------------------------------------------------------------ the text and the opened file

def set_text(text: str) -> None:
    """Put ``text`` in the text box; a sentence looked into of the previous text means nothing here."""
    st.session_state[TEXT] = text
    st.session_state.pop(INSIDE, None)


def chosen_example() -> str | None:
    return st.session_state.get(EXAMPLE)


def upload() -> Any:
    """The uploaded text file, or None."""
    return st.session_state.get(UPLOAD)


def upload_error() -> str | None:
    return st.session_state.get("upload_error")


def set_upload_error(message: str | None) -> None:
    _set_or_pop("upload_error", message)


def opened_upload() -> Any:
    """The uploaded explanation file, or None."""
    return st.session_state.get(OPEN)


def open_error() -> str | None:
    return st.session_state.get("open_error")


def set_open_error(message: str | None) -> None:
    _set_or_pop("open_error", message)


def opened() -> tuple[str, Explanation] | None:
    """The opened explanation (its file name and itself), or None: the page shows the pasted text."""
    return st.session_state.get("opened")


def set_opened(opened: tuple[str, Explanation] | None) -> None:
    _set_or_pop("opened", opened)


def submit() -> None:
    """The text box's text becomes the page's text; an opened explanation is closed."""
    st.session_state["submitted"] = st.session_state.get(TEXT, "")
    set_opened(None)


def submitted() -> str | None:
    """The text last submitted with Summarize, or None."""
    return st.session_state.get("submitted")


# ------------------------------------------------------------------ selections kept valid across texts

def inside() -> int | None:
    """The sentence or span looked into, or None."""
    return st.session_state.get(INSIDE)


def keep_inside(options: list[int | None]) -> None:
    """Back to every sentence or span when the one looked into is not among ``options``."""
    if st.session_state.get(INSIDE) not in options:
        st.session_state[INSIDE] = None


WINDOW = "window"                       # the source rows shown, (start, end): one slider, every heatmap
DEFAULT_WINDOW = 60


def window(count: int) -> slice:
    """The source rows the window slider shows, within ``count`` source units (never empty)."""
    start, end = st.session_state.get(WINDOW, (0, DEFAULT_WINDOW))
    start = max(0, min(start, count - 1))
    return slice(start, max(start + 1, min(end, count)))


def focus() -> int | None:
    """The focused summary token, or None before the first summary's focus is drawn."""
    return st.session_state.get(FOCUS)


def keep_focus(count: int, key: str = FOCUS) -> None:
    """Before the summary chips under ``key`` are drawn: the focus stays on the chip picked last (clicking the
    picked chip again, which unpicks it, leaves it picked), and goes back to the first token when it is not
    among ``count``."""
    picked = st.session_state.get(key)
    if picked is None:
        picked = st.session_state.get(f"{key}-kept", 0)
    if not 0 <= picked < count:
        picked = 0
    st.session_state[key] = st.session_state[f"{key}-kept"] = picked


def good_value(key: str, default: Any) -> Any:
    """The last value that passed its check in the number box ``key`` (``default`` at first)."""
    return st.session_state.get(f"{key}-good", default)


def set_good_value(key: str, value: Any) -> None:
    st.session_state[f"{key}-good"] = value


# ------------------------------------------------------------------ what was asked for, and found

def asked() -> set[str]:
    """The job keys asked for in this session: a rerun picks them up again instead of asking twice."""
    return st.session_state.setdefault("asked", set())


def removals() -> dict[str, str]:
    """{removal slot: the request key it was asked for}: faithfulness measured on request."""
    return st.session_state.setdefault("removals", {})


def set_cancelled() -> None:
    st.session_state["cancelled"] = True


def take_cancelled() -> bool:
    """Whether the user cancelled since the last run (read once)."""
    return bool(st.session_state.pop("cancelled", False))


def stabilities() -> dict[str, Stability]:
    """{method job key: its stability over seeds}, as measured in this session."""
    return st.session_state.setdefault("stability", {})


def counterfactuals() -> dict[str, Any]:
    """{summary key: its counterfactual attention}, as measured in this session."""
    return st.session_state.setdefault("counterfactuals", {})


def _set_or_pop(key: str, value: Any) -> None:
    if value is None:
        st.session_state.pop(key, None)
    else:
        st.session_state[key] = value
