"""Each selected method's estimated cost in the sidebar, and the Explain button for the pending ones."""
from __future__ import annotations

from typing import Any

import streamlit as st

from attnviz.errors import AttnvizError
from attnviz.explain import method_title
from attnviz.explain.cost import check_budget
from webpage import state
from webpage.fill import pending_methods
from webpage.request import Request
from webpage.widgets import held_button, plain

BOUND_SIGN = {"exact": "", "at most": "≤ ", "at least": "≥ "}
EXPLAIN_NOTE = "Attributions run when you ask: their cost is in the sidebar."


def hold_explain(request: Request, slot: Any) -> None:
    """The Explain button's stand-in in ``slot``, drawn before the views so that the button, priced once the
    page is drawn (``offer_explain``), moves nothing below it."""
    todo, _ = pending_methods(request)
    if todo:
        with slot.container():
            held_button(st, explain_label(todo), state.EXPLAIN_BUTTON, "primary")
            st.caption(EXPLAIN_NOTE)


def explain_label(todo: list[str]) -> str:
    return f"Explain with {len(todo)} method{'s' * (len(todo) > 1)}"


def offer_explain(request: Request, slot: Any, sidebar_slot: Any) -> None:
    """The cost of every selected method in the sidebar and, for the pending ones, the Explain button (or why
    they are too long for one click) in ``slot``. Runs after the rest of the page is drawn: the estimate times
    a forward and a backward batch on this input (about a second on 400 tokens); the press is read by the
    fill step at the start of the next run."""
    cfg = request.settings
    if not cfg.methods:
        return
    costs = request.costs(list(cfg.methods))
    lines = [f"- **{plain(method_title(c.method))}**: {BOUND_SIGN[c.bound]}{c.forward_passes:,} forward"
             + (f" + {c.backward_passes:,} backward" if c.backward_passes else "") + f", ≈ {c.seconds:.1f} s"
             for c in costs]
    sidebar_slot.markdown("**Estimated cost on this input**\n\n" + "\n".join(lines))
    todo, _ = pending_methods(request)
    if not todo:
        return
    with slot.container():
        try:
            check_budget([c for c in costs if c.method in todo])     # too long for one click: say so
        except AttnvizError as exc:
            st.error(plain(str(exc)))
            return
        seconds = sum(c.seconds for c in costs if c.method in todo)
        st.button(f"{explain_label(todo)} (≈ {seconds:.0f} s)", key=state.EXPLAIN_BUTTON, type="primary")
        st.caption(EXPLAIN_NOTE)
