"""Exports: the long CSV table, the JSON document and standalone figure HTML match the results."""
import io
import json
import random

import numpy as np
import pandas as pd
import pytest

from attnviz.decoding import DecodingSettings
from attnviz.explain import explain
from attnviz.export import COLUMNS, export_document, export_json, figure_html, long_frame
from attnviz.pipeline import Summarizer
from attnviz.plots import attention_heatmap
from tests.conftest import make_model, random_text


@pytest.fixture(scope="module")
def explained():
    from attnviz.tokenizer import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=3)
    generation = Summarizer(model, vocab).summarize("<b>x</b> " + random_text(random.Random(1), 10),
                                                    DecodingSettings(beam_size=1, min_len=3, max_len=4))
    return generation, explain(model, generation, ["attention", "occlusion"])


def test_long_frame_holds_every_score_once(explained):
    generation, results = explained
    frame = long_frame(results)
    t, s = generation.attention.shape
    assert list(frame.columns) == COLUMNS and len(frame) == 2 * t * s
    back = pd.read_csv(io.StringIO(frame.to_csv(index=False)), keep_default_na=False)
    for name, attribution in results.items():
        rows = back[back.method == name].sort_values(["summary_index", "source_index"])
        np.testing.assert_allclose(rows.score.to_numpy().reshape(t, s), attribution.scores, rtol=1e-12)
        assert rows.source_token.tolist()[:s] == generation.source_tokens
        assert rows.drop_duplicates("summary_index").summary_token.tolist() == generation.summary_tokens


def test_long_frame_of_nothing_has_the_columns():
    assert list(long_frame({}).columns) == COLUMNS


def test_json_document_round_trips(explained):
    generation, results = explained
    settings = {"decoding": {"beam_size": 1}, "methods": list(results)}
    doc = json.loads(export_json(export_document(generation, results, model="tiny", settings=settings)))
    assert doc["format"] == "attnviz-export" and doc["model"] == "tiny" and doc["settings"] == settings
    assert {"attnviz", "python", "torch", "captum", "shap", "streamlit"} <= set(doc["versions"])
    assert doc["generation"]["summary_tokens"] == generation.summary_tokens
    for name, attribution in results.items():
        np.testing.assert_allclose(doc["methods"][name]["scores"], attribution.scores, atol=1e-6)
        assert doc["methods"][name]["forward_passes"] == attribution.forward_passes


def test_figure_html_is_standalone(explained):
    generation, _ = explained
    page = figure_html(attention_heatmap(generation))
    assert page.lower().startswith("<!doctype html>") and len(page) > 1_000_000    # plotly.js inlined
    assert '<script src="http' not in page
    assert '"&lt;"' in page                                             # tokens are escaped
