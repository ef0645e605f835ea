"""Faithfulness: equal to direct computation, and a known answer on a model that copies."""
import random

import numpy as np
import pytest
import torch

from attnviz.explain import explain
from attnviz.faithfulness import FRACTIONS, RANDOM, faithfulness, token_counts
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import copy_pairs, intact, make_model, random_text
from tests.test_copy_task import COPY_SETTINGS


def test_figures_equal_a_direct_computation(vocab):
    model = make_model(vocab, seed=8, coverage=True)
    generation = PointerSummarizer(model, vocab).summarize(random_text(random.Random(4), 23),
                                                    DecodingSettings(beam_size=1, min_len=3, max_len=3))
    results = explain(PointerScorer(model, generation), ["attention", "occlusion"])
    scorer = PointerScorer(model, generation)
    figures, cost = faithfulness(scorer, {m: a.scores for m, a in results.items()}, random_orders=3, seed=1)
    assert set(figures) == {"attention", "occlusion", RANDOM}
    s, t_len = scorer.source_len, scorer.summary_len
    counts = token_counts(s)
    assert counts == [1, 2, 3, 5, 12]
    f_full = intact(scorer).numpy()
    for name in ("attention", "occlusion"):
        scores = results[name].scores
        for t in range(t_len):
            order = sorted(range(s), key=lambda j: (-scores[t, j], j))
            for i, k in enumerate(counts):
                keep = np.ones(s, dtype=bool)
                keep[order[:k]] = False
                without, only = scorer.score_keep(torch.as_tensor(np.stack([keep, ~keep]))).numpy()[:, t]
                np.testing.assert_allclose(figures[name].comprehensiveness[t, i], f_full[t] - without, atol=1e-5)
                np.testing.assert_allclose(figures[name].sufficiency[t, i], f_full[t] - only, atol=1e-5)
                np.testing.assert_allclose(figures[name].deletion[t, i + 1], without, atol=1e-5)
    np.testing.assert_allclose(figures["occlusion"].deletion[:, 0], f_full, atol=1e-5)
    assert cost["forward_passes"] == cost["distinct_masks"] <= 1 + (2 + 3) * t_len * len(FRACTIONS) * 2
    assert set(figures[RANDOM].aopc_spread) == {"comprehensiveness", "sufficiency"}
    again, _ = faithfulness(PointerScorer(model, generation), {m: a.scores for m, a in results.items()},
                            random_orders=3, seed=1)
    np.testing.assert_array_equal(again[RANDOM].comprehensiveness, figures[RANDOM].comprehensiveness)


def test_copy_model_known_answer(copy_summarizer):
    """Summary token t copies source token t: occlusion ranks that position first, and removing it gives
    the largest one-token comprehensiveness of all methods, far above chance."""
    checked = 0
    for pair in copy_pairs(random.Random(7), 20):
        generation = copy_summarizer.summarize(pair["text"], COPY_SETTINGS)
        source = generation.source_tokens
        if generation.summary_tokens[:3] != source[:3] or len(set(source)) < len(source):
            continue                                        # only clean copies of distinct words
        model = copy_summarizer.model
        results = explain(PointerScorer(model, generation), ["attention", "occlusion", "integrated_gradients", "input_x_gradient"])
        figures, _ = faithfulness(PointerScorer(model, generation), {m: a.scores for m, a in results.items()},
                                  fractions=(0.01,), random_orders=20)
        for t in range(3):
            assert int(np.argmax(results["occlusion"].scores[t])) == t
            best = figures["occlusion"].comprehensiveness[t, 0]
            assert all(best >= f.comprehensiveness[t, 0] - 1e-6 for f in figures.values())
            assert best > figures[RANDOM].comprehensiveness[t, 0] + 1.0
        checked += 1
    assert checked >= 10


def test_bad_arguments(vocab):
    with pytest.raises(ValueError, match="fractions must lie in"):
        token_counts(10, (0.0, 0.5))
    assert token_counts(3, (0.01, 1.0)) == [1, 3]
