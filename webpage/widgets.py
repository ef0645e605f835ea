"""Small widgets shared by the views: markdown-safe messages, checked number boxes, progress bars, and a
button offered with its timed cost once the rest of the page is drawn (held in place meanwhile)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.explain.spec import Param
from attnviz.models.base import DecodingSettings
from attnviz.userinput import real_number, visible, whole_number
from webpage import state
from webpage.services import pass_seconds
from webpage.settings import ModelKey

MARKDOWN = "\\`*_[]<>$~|#"           # what can turn plain text into emphasis, links, HTML, maths or tables
JOINER = "\u200d"                     # zero-width joiner: splits what Streamlit would make live without a sign
# Streamlit's markdown turns some plain text into links or icons after its escapes are read (remark-gfm's
# autolink literals: http(s)://…, www.…, name@host.tld; emoji and icon shortcodes :smile:, :material/…:);
# a backslash does not stop them, a zero-width joiner inside each does (the text reads and copies the same).
LIVE_TEXT = re.compile(r"(?<=:)(?=\S)|(?<=www)(?=\.)|(?<=@)(?=[\w-])", re.IGNORECASE)


def plain(text: str) -> str:
    """A user's or a document's text (a file name, a token, a method, a model) for anything Streamlit renders as
    markdown (st.error/warning/info/caption/markdown/subheader, widget labels, radio options, tab names, button
    labels): every markdown character escaped, invisible characters shown as code points, and bare links,
    e-mail addresses and shortcodes (``LIVE_TEXT``) split by a zero-width joiner so that they stay text."""
    escaped = "".join("\\" + c if c in MARKDOWN else c for c in visible(text))
    return LIVE_TEXT.sub(JOINER, escaped)


def checked_number(param: Param, owner: str, *, key: str, where: Any = None, **widget: Any) -> Any:
    """A box for ``param``'s number (bounded by its page ceiling) that keeps whatever was typed, however long or
    large: a text box read by ``attnviz.userinput``'s parser (Streamlit's number box cannot hold whole numbers
    beyond 2⁵³ and puts its last value back). A value out of range, or not a number, stays in the box, says why
    in one line, and the page goes on with the last good value (the default at first)."""
    high = param.high if param.page_high is None else param.page_high
    label = f"{param.label} ({param.low:,g}–{high:,g})"
    place = where or st.sidebar
    typed = place.text_input(label, value=str(param.default), key=key, **widget)
    parse = whole_number if isinstance(param.default, int) else real_number
    try:
        value = param.check(owner, parse(typed, f"{owner}: {param.name}" if owner else param.name), high=high)
    except AttnvizError as exc:
        value = state.good_value(key, param.default)
        place.error(plain(f"{exc}; using {value:,} until it is fixed."))
        return value
    state.set_good_value(key, value)
    return value


def held_button(where: Any, label: str, key: str, kind: str = "secondary") -> None:
    """A disabled stand-in for a button whose cost is still being timed, drawn into the slot ``where`` now so
    that the button, when it replaces it at the end of the run, moves nothing below it: a click on a button
    that jumps as the page settles lands on something else and is lost."""
    where.button(f"{label} (timing this input…)", key=f"{key}-held", disabled=True, type=kind)


def number_table(frame: pd.DataFrame, where: Any = None) -> None:
    """A table whose numbers all show three decimals (one precision per table, not 0.49 beside 0.3444)."""
    formats = {column: st.column_config.NumberColumn(format="%.3f") for column in frame.columns
               if pd.api.types.is_float_dtype(frame[column])}
    (where or st).dataframe(frame, hide_index=True, column_config=formats)


def progress_bar() -> Any:
    """An empty progress bar here (→ it: ``jobs.wait_for`` draws into it; empty it when done)."""
    return st.progress(0.0)


@dataclass(frozen=True)
class Offer:
    """A measurement not yet asked for: its button, drawn into ``where`` with its cost once the rest of the page
    is drawn (the cost is timed on this input; the press is read at the start of the next run). ``hold`` draws
    its stand-in now, where it belongs."""

    where: Any                  # a slot reserved where the button belongs
    label: str
    key: str                    # the button's widget key
    forward_passes: int
    model_key: ModelKey
    text: str
    decoding: DecodingSettings

    def hold(self) -> Offer:
        held_button(self.where, self.label, self.key)
        return self

    def draw(self) -> None:
        seconds = self.forward_passes * pass_seconds(self.model_key, self.text, self.decoding)[0]
        self.where.button(f"{self.label} ({self.forward_passes:,} forward passes, ≈ {seconds:.0f} s)", key=self.key)
