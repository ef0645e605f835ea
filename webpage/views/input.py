"""The text box with its example picker and upload, Summarize, and opening an exported explanation."""
from __future__ import annotations

import streamlit as st

from attnviz.errors import AttnvizError, InputError
from attnviz.examples import load_examples
from attnviz.explanation import Explanation
from attnviz.textfile import decode_text
from attnviz.userinput import has_visible
from webpage import state
from webpage.widgets import plain


def on_example() -> None:
    chosen = state.chosen_example()
    examples = {e["title"]: e for e in load_examples()}
    if chosen in examples:
        state.set_text(examples[chosen]["text"])


def on_upload() -> None:
    """Read the uploaded file into the text area; a bad file leaves the text as it was."""
    upload = state.upload()
    state.set_upload_error(None)
    if upload is None:
        return
    try:
        text = decode_text(upload.getvalue(), upload.name)
        if not has_visible(text):                      # spaces, joiners, tags or marks only
            raise InputError(f"{upload.name} is empty" + (" of anything visible" if text.strip() else ""))
        state.set_text(text)
    except AttnvizError as exc:
        state.set_upload_error(f"{exc}. The text box was left as it was.")


def on_open() -> None:
    """Open an exported explanation; a file that is not one leaves the page as it was."""
    upload = state.opened_upload()
    state.set_open_error(None)
    if upload is None:                                 # the file was removed: back to the text box
        state.set_opened(None)
        return
    try:
        state.set_opened((upload.name, Explanation.loads(upload.getvalue())))
    except AttnvizError as exc:
        state.set_open_error(f"{upload.name}: {exc}.")


def input_section() -> None:
    examples = load_examples()
    left, right = st.columns([2, 1])
    with left:
        st.selectbox("Example from the held-out news test split", [e["title"] for e in examples], index=None,
                     placeholder="Pick an example…", key=state.EXAMPLE, on_change=on_example)
    with right:
        st.file_uploader("…or upload a .txt file", type=["txt"], key=state.UPLOAD, on_change=on_upload)
    if state.upload_error() is not None:
        st.error(plain(state.upload_error()))
    st.text_area("Text to summarize", key=state.TEXT, height=180, placeholder="Paste a news article…")
    if st.button("Summarize", type="primary"):
        state.submit()
    with st.expander("Open an exported explanation"):
        st.file_uploader("A JSON file from this page's export or `python -m attnviz explain --json`", type=["json"],
                         key=state.OPEN, on_change=on_open)
    if state.open_error() is not None:
        st.error(plain(state.open_error()))
