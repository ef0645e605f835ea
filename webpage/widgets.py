"""Small widgets shared by the views: markdown-safe messages, checked number boxes, progress bars, and a
button offered with its timed cost once the rest of the page is drawn."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.explain.spec import Param
from attnviz.models.base import DecodingSettings
from attnviz.plots import visible
from webpage import state
from webpage.services import pass_seconds
from webpage.settings import ModelKey

MARKDOWN = "\\`*_[]<>$~|#"           # what can turn plain text into emphasis, links, HTML, maths or tables


def plain(text: str) -> str:
    """A message that may hold a user's text (a file name, a value) for st.error/st.warning, which render
    markdown: every markdown character escaped, invisible characters shown as code points."""
    return "".join("\\" + c if c in MARKDOWN else c for c in visible(text))


def checked_number(param: Param, owner: str, *, key: str, where: Any = None, **widget: Any) -> Any:
    """A number box for ``param`` (bounded by its page ceiling) that accepts anything typed and checks it:
    a value out of range, or not a number, keeps what was typed in the box, says why in one line, and the
    page goes on with the last good value (the default at first)."""
    high = param.high if param.page_high is None else param.page_high
    label = f"{param.label} ({param.low:,g}–{high:,g})"
    typed = (where or st.sidebar).number_input(label, value=param.default, key=key, **widget)
    try:
        value = param.check(owner, typed, high=high)
    except AttnvizError as exc:
        value = state.good_value(key, param.default)
        (where or st.sidebar).error(plain(f"{exc}; using {value:,} until it is fixed."))
        return value
    state.set_good_value(key, value)
    return value


def progress_bar() -> Any:
    """An empty progress bar here (→ it: ``jobs.wait_for`` draws into it; empty it when done)."""
    return st.progress(0.0)


@dataclass(frozen=True)
class Offer:
    """A measurement not yet asked for: its button, drawn into ``where`` with its cost once the rest of the page
    is drawn (the cost is timed on this input; the press is read at the start of the next run)."""

    where: Any                  # a slot reserved where the button belongs
    label: str
    key: str                    # the button's widget key
    forward_passes: int
    model_key: ModelKey
    text: str
    decoding: DecodingSettings

    def draw(self) -> None:
        seconds = self.forward_passes * pass_seconds(self.model_key, self.text, self.decoding)[0]
        self.where.button(f"{self.label} ({self.forward_passes:,} forward passes, ≈ {seconds:.0f} s)", key=self.key)
