"""Exports: the long CSV table, the JSON document and standalone figure HTML match the results."""
import io
import json
import random
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from attnviz.explanation import Explanation
from attnviz.export import COLUMNS, figure_html, long_frame
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.pipeline import explain_text
from attnviz.plots import attention_heatmap
from tests.conftest import make_model, random_text


@pytest.fixture(scope="module")
def explained():
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    summarizer = PointerSummarizer(make_model(vocab, seed=3), vocab, name="tiny")
    explanation = explain_text(summarizer, "<b>x</b> " + random_text(random.Random(1), 10), "occlusion",
                               decoding=DecodingSettings(beam_size=1, min_len=3, max_len=4), random_orders=2)
    return explanation.generation, explanation.attributions, explanation


def test_long_frame_holds_every_score_once(explained):
    generation, results, _ = explained
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
    generation, results, explanation = explained
    doc = json.loads(explanation.dumps())
    assert doc["format"] == "attnviz-explanation" and doc["model"] == "tiny"
    assert doc["settings"]["decoding"]["beam_size"] == 1 and doc["settings"]["random_orders"] == 2
    assert {"attnviz", "python", "torch", "captum", "shap", "streamlit"} <= set(doc["versions"])
    assert doc["generation"]["summary_tokens"] == generation.summary_tokens
    for name, attribution in results.items():
        np.testing.assert_allclose(doc["methods"][name]["scores"], attribution.scores, atol=1e-6)
        assert doc["methods"][name]["forward_passes"] == attribution.forward_passes
    back = Explanation.loads(explanation.dumps())
    assert Explanation.loads(back.dumps()).to_json() == back.to_json()   # reading adds nothing, loses nothing
    assert back.to_json()["faithfulness"]["methods"]["random"]["aopc_std"] == doc["faithfulness"]["methods"]["random"]["aopc_std"]
    assert back.settings == explanation.settings and back.generation.summary == generation.summary
    for name, attribution in results.items():
        np.testing.assert_allclose(back.attributions[name].scores, attribution.scores, atol=1e-6)
    for metric, matrix in explanation.agreement.matrices.items():
        np.testing.assert_allclose(back.agreement.matrices[metric], matrix, atol=1e-6, equal_nan=True)
    for name, figures in explanation.faithfulness.items():
        np.testing.assert_allclose(back.faithfulness[name].deletion, figures.deletion, atol=1e-6)
    np.testing.assert_allclose(back.generation.attention, generation.attention, atol=1e-6)
    np.testing.assert_array_equal(back.generation.summary_ids, generation.summary_ids)


@pytest.mark.parametrize("raw, message", [
    (b"\xff\xfe", "not UTF-8"), (b"{", "not JSON"), (b"[1, 2]", "not an attnviz explanation"),
    (b'{"format": "attnviz-explanation", "format_version": 9}', "layout version 9"),
    (b'{"format": "attnviz-explanation", "format_version": 2, "generation": {}}', "generation.source_tokens is missing"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply|not JSON|not an attnviz")])
def test_a_file_that_is_not_an_explanation_gets_a_clear_message(raw, message):
    from attnviz.errors import DocumentError

    with pytest.raises(DocumentError, match=message):
        Explanation.loads(raw)


def test_a_damaged_explanation_names_what_is_wrong(explained):
    from attnviz.errors import DocumentError

    doc = explained[2].to_json()
    doc["methods"]["occlusion"]["scores"] = doc["methods"]["occlusion"]["scores"][:-1]
    with pytest.raises(DocumentError, match=r"methods.occlusion.scores must be numbers \(or null\) in the shape \[4\]\[18\] .*, not \[3\]\[18\]"):
        Explanation.from_json(doc)
    doc = explained[2].to_json()
    doc["faithfulness"]["methods"]["occlusion"]["comprehensiveness"].pop()
    doc["faithfulness"]["methods"]["occlusion"]["deletion"].pop()
    doc["faithfulness"]["methods"]["occlusion"]["sufficiency"].pop()
    with pytest.raises(DocumentError, match=r"faithfulness.methods.occlusion.comprehensiveness must be numbers \(or null\) in the shape"):
        Explanation.from_json(doc)
    doc = explained[2].to_json()
    doc["generation"]["attention"][0][0] = "x"
    with pytest.raises(DocumentError, match="generation.attention must be numbers .* but holds a text"):
        Explanation.from_json(doc)


def test_figure_html_is_standalone(explained):
    generation = explained[0]
    page = figure_html(attention_heatmap(generation))
    assert page.lower().startswith("<!doctype html>") and len(page) > 1_000_000    # plotly.js inlined
    assert '<script src="http' not in page
    assert '"&lt;"' in page                                             # tokens are escaped


def test_an_explanation_read_by_words_sums_each_words_pieces():
    """Pieces [un, believ, able, news] → words [unbelievable, news]: attention, heads and scores summed."""
    from attnviz.explanation import Explanation, ExplanationSettings
    from attnviz.types import Attribution, Generation

    rng = np.random.default_rng(0)
    layers = rng.dirichlet(np.ones(4), size=(2, 3, 2))                          # (L, H, T=2, S=4)
    pieces = ["un", "believ", "able", "news"]
    generation = Generation(source_tokens=pieces, summary_tokens=["big", "news"], summary="big news",
                            source_ids=np.arange(4), source_ext_ids=np.arange(4), summary_ids=np.array([7, 3]),
                            attention=layers.mean(axis=(0, 1)), token_logprobs=np.array([-1.0, -2.0]), p_gen=None,
                            layer_attention=layers, source_words=[0, 0, 0, 1])
    explanation = Explanation(generation, ExplanationSettings(model="m", device="cpu", max_source_tokens=10, decoding={}))
    scores = rng.normal(size=(2, 4))
    explanation.add(Attribution("occlusion", pieces, ["big", "news"], scores, 0.1, 5, 0))
    words = explanation.by_words()
    assert words.generation.source_tokens == ["unbelievable", "news"]
    np.testing.assert_allclose(words.scores["occlusion"], np.stack([scores[:, :3].sum(1), scores[:, 3]], axis=1))
    np.testing.assert_allclose(words.generation.layer_attention[..., 0], layers[..., :3].sum(-1))
    np.testing.assert_allclose(words.generation.attention.sum(axis=1), 1.0)
    assert words.compare().methods == ["occlusion"]
    assert explanation.generation.source_tokens == pieces                       # the original keeps pieces
    plain = Explanation(replace(generation, source_words=[0, 1, 2, 3]), explanation.settings)
    assert plain.by_words() is plain                                            # one piece per word: nothing to sum


def test_a_layout_2_document_of_a_multi_head_model_still_opens(vocab):
    """Layout 3 keeps per-head attention as [L, H, T, S] for every model; a layout-2 file held a multi-head
    pointer-generator's heads as [H, T, S] (generation.head_attention, attention's head_scores): it opens as one
    layer, with the same numbers."""
    from attnviz.errors import DocumentError

    summarizer = PointerSummarizer(make_model(vocab, seed=4, attention="multihead", num_heads=2), vocab)
    text = random_text(random.Random(5), 12)
    now = explain_text(summarizer, text, ["occlusion"], decoding=DecodingSettings(beam_size=2, min_len=3, max_len=4),
                       random_orders=2, heads_as_methods=True).to_json()
    assert now["format_version"] == 3
    old = json.loads(json.dumps(now))
    old["format_version"] = 2
    old["generation"]["head_attention"] = old["generation"].pop("layer_attention")[0]
    old["methods"]["attention"]["head_scores"] = old["methods"]["attention"]["head_scores"][0]
    opened, again = Explanation.from_json(old), Explanation.from_json(now)
    assert np.asarray(now["generation"]["layer_attention"]).shape[:2] == (1, 2)
    np.testing.assert_array_equal(opened.generation.layer_attention, again.generation.layer_attention)
    np.testing.assert_array_equal(opened.attributions["attention"].head_scores, again.attributions["attention"].head_scores)
    assert opened.to_json() == again.to_json()
    old["format_version"] = 1
    with pytest.raises(DocumentError, match="layout version 1"):
        Explanation.from_json(old)
