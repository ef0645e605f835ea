"""The Streamlit page driven headlessly with the shipped model."""
import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = ("The European Union agreed on Tuesday to extend economic sanctions against Russia for another six months, "
        "diplomats said, citing the lack of progress in implementing the Minsk peace agreement for eastern Ukraine.")


def plotly_array(value) -> np.ndarray:
    """Figure JSON holds numpy arrays as {"dtype", "bdata", "shape"} (base64) or as plain lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return array.reshape([int(n) for n in str(value.get("shape", len(array))).split(",")])
    return np.asarray(value)


def _run(text: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_area(key="text").input(text)
    at.button[0].click()
    at.run()
    return at


def test_summarize_shows_summary_and_attention_heatmap():
    at = _run(TEXT)
    assert not at.exception
    assert not at.error
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    heatmap = figure["data"][0]
    z = plotly_array(heatmap["z"])
    rows, cols = z.shape
    assert cols == len(TEXT.replace(",", " ,").replace(".", " .").split())
    assert 4 <= rows <= 20
    assert figure["layout"]["yaxis"]["ticktext"] and len(figure["layout"]["yaxis"]["ticktext"]) == rows
    assert "← source #" in heatmap["hovertemplate"]
    np.testing.assert_allclose(z.sum(axis=1), 1.0, atol=1e-4)
    assert at.session_state["text"] == TEXT        # the text survives the rerun


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text_gives_a_message_not_a_traceback(text):
    at = _run(text)
    assert not at.exception
    assert "empty" in at.error[0].value


def test_html_in_the_text_is_escaped():
    at = _run("<img src=x onerror=alert(1)> <script>alert(2)</script> The minister resigned on Monday after the vote.")
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "<img" not in shown and "<script" not in shown
