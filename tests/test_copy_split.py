"""Attention split into what the pointer copied and what fed the generator, on the page's rows and in the report."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from attnviz.models.base import DecodingSettings
from attnviz.pipeline import COPY_ATTENTION, GENERATE_ATTENTION, explain_text, new_explanation, pointer_attributions
from attnviz.report import by_token_kind


def test_copy_and_generate_shares_add_up_to_attention(copy_summarizer):
    generation = copy_summarizer.summarize("w1 zz31 w5 w9 w2 , w7", DecodingSettings(beam_size=1, min_len=1, max_len=4))
    explanation = new_explanation(copy_summarizer, generation, DecodingSettings())
    copy, generate = pointer_attributions(explanation)
    assert (copy.method, generate.method) == (COPY_ATTENTION, GENERATE_ATTENTION)
    np.testing.assert_allclose(copy.scores + generate.scores, generation.attention, atol=1e-6)
    np.testing.assert_allclose(copy.scores.sum(axis=1), (1 - generation.p_gen) * generation.attention.sum(axis=1),
                               atol=1e-6)


def test_a_copied_token_s_copy_attention_peaks_where_it_was_copied(copy_summarizer):
    """The copy model repeats the first three words; the unseen ones can only be copied."""
    text = "zz101 w3 zz202 w8 w9 w1 w7 w2"
    generation = copy_summarizer.summarize(text, DecodingSettings(beam_size=1, min_len=3, max_len=3))
    assert generation.summary_tokens == ["zz101", "w3", "zz202"]
    copy = pointer_attributions(new_explanation(copy_summarizer, generation, DecodingSettings()))[0].scores
    copied = np.flatnonzero(generation.p_gen < 0.5)
    assert {0, 2} <= set(copied.tolist())                          # the unseen words were copied
    for t in copied:
        assert copy[t].argmax() == t, (t, copy[t].round(3))


def test_by_token_kind_splits_the_figures(copy_summarizer):
    text = "zz101 w3 zz202 w8 w9 w1 w7 w2 . w4 w5"
    explanation = explain_text(copy_summarizer, text, "occlusion", decoding=DecodingSettings(beam_size=1, min_len=3, max_len=3),
                               random_orders=2, pointer_split=True)
    assert list(explanation.attributions)[:3] == ["attention", COPY_ATTENTION, GENERATE_ATTENTION]
    kinds = by_token_kind(explanation)
    copied = explanation.generation.p_gen < 0.5
    assert kinds["copied"]["share"] + kinds["generated"]["share"] == 1
    occlusion = explanation.faithfulness["occlusion"].comprehensiveness.mean(axis=1)
    np.testing.assert_allclose(kinds["copied"]["faithfulness"]["occlusion"]["aopc_comprehensiveness"],
                               occlusion[copied].mean())
    everything_copied = replace(explanation, generation=replace(explanation.generation,
                                                                p_gen=np.zeros_like(explanation.generation.p_gen)))
    kinds = by_token_kind(everything_copied)
    assert kinds["copied"]["share"] == 1 and kinds["generated"]["faithfulness"]["occlusion"]["aopc_comprehensiveness"] is None
