"""partition_shap: shap's PartitionExplainer over the source tokens, all summary tokens per pass."""
from __future__ import annotations

import numpy as np
import pytest
import shap
import torch

from attnviz.explain import METHODS
from attnviz.explain.partition import SHAP_BATCH_SIZE, AbsentTokenMasker, partition_shap, text_clustering
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.types import Generation
from attnviz.words import _TOKEN, detokenize, split_words
from tests.conftest import make_model

# 16 source tokens: the Owen recursion over shap's text clustering is exhausted after 214 evaluations.
TEXT = "w1 w2 , w3 w4 . w5 w6 w7 and w8 w9 . the w10 w11"


def generate(vocab, text: str = TEXT, *, seed: int = 0, **overrides) -> tuple[torch.nn.Module, Generation]:
    model = make_model(vocab, seed=seed, **overrides)
    return model, PointerSummarizer(model, vocab).summarize(text, DecodingSettings(beam_size=1, max_len=6))


def ends(model, generation: Generation) -> np.ndarray:
    """f_t(x) − f_t(∅) [T] from a fresh scorer."""
    out = PointerScorer(model, generation).score_keep(torch.tensor([[1] * len(generation.source_tokens),
                                                                  [0] * len(generation.source_tokens)]))
    return (out[0] - out[1]).double().numpy()


def test_shapes_params_and_costs(vocab):
    model, generation = generate(vocab)
    scorer = PointerScorer(model, generation)
    result = partition_shap(scorer, max_evals=60, seed=0)
    t, s = len(generation.summary_tokens), len(generation.source_tokens)
    assert result.method == "partition_shap"
    assert result.scores.shape == (t, s) and np.isfinite(result.scores).all()
    assert result.source_tokens == generation.source_tokens and result.summary_tokens == generation.summary_tokens
    assert result.params == {"max_evals": 60, "seed": 0}
    # one forward pass per evaluated mask, shared by all T summary tokens; shap may overshoot by one
    assert result.forward_passes == result.checks["evaluations"] <= 61
    assert result.backward_passes == 0 and result.seconds > 0


@pytest.mark.parametrize("max_evals", [12, 60, 500])
def test_rows_sum_to_the_gap_at_every_budget(vocab, max_evals):
    model, generation = generate(vocab, seed=1, coverage=True)
    result = partition_shap(PointerScorer(model, generation), max_evals=max_evals)
    np.testing.assert_allclose(result.scores.sum(axis=1), ends(model, generation), rtol=0, atol=1e-4)


def test_same_seed_same_result_and_global_rng_untouched(vocab):
    model, generation = generate(vocab, seed=2)
    np.random.seed(123)
    expected_draw = np.random.rand()
    np.random.seed(123)
    first = partition_shap(PointerScorer(model, generation), max_evals=40, seed=7)
    assert np.random.rand() == expected_draw                     # the caller's numpy RNG state is given back
    second = partition_shap(PointerScorer(model, generation), max_evals=40, seed=7)
    np.testing.assert_array_equal(first.scores, second.scores)


@pytest.mark.parametrize("seed, overrides", [(0, {}), (3, {"attention": "multihead", "num_heads": 2})])
def test_equals_shap_run_per_summary_token(vocab, seed, overrides):
    """One multi-output run = T scalar runs of shap's explainer (same masker, max_evals, batch size).

    The budget is large enough for shap to exhaust the recursion (exact Owen values). Under a smaller
    budget the two differ: shap expands nodes in order of max_t |Δf_t|, so the T-output run spends
    its evaluations where any summary token changes most, a scalar run where its own token does.
    """
    model, generation = generate(vocab, seed=seed, **overrides)
    scorer = PointerScorer(model, generation)
    result = partition_shap(scorer, max_evals=500, seed=0)
    assert result.checks["evaluations"] < 500                    # exhausted, not cut by the budget
    x = np.asarray(generation.source_ids)[None, :]
    for t in range(len(generation.summary_tokens)):
        def column(masks: np.ndarray, t: int = t) -> np.ndarray:
            return scorer.score_keep(masks).double().numpy()[:, t]
        explainer = shap.explainers.PartitionExplainer(column, AbsentTokenMasker(generation.source_tokens))
        values = explainer(x, max_evals=500, batch_size=SHAP_BATCH_SIZE, silent=True).values[0]   # (S,)
        np.testing.assert_allclose(result.scores[t], values, rtol=0, atol=1e-5)


def test_model_gets_batches_not_rows(vocab):
    model, generation = generate(vocab)
    scorer = PointerScorer(model, generation)
    sizes: list[int] = []
    score_keep = scorer.score_keep
    scorer.score_keep = lambda keep: (sizes.append(len(keep)), score_keep(keep))[1]
    result = partition_shap(scorer, max_evals=500)
    assert sum(sizes) == result.checks["evaluations"]
    assert sizes[:2] == [1, 1]                                  # f(∅) then f(x), as shap asks for them
    assert max(sizes) > 6                                       # shap's Text-masker default would give ≤ 6 rows
    assert len(sizes) <= 12                                     # ~one call per tree level, not per mask


def test_clustering_is_shap_text_maskers(vocab):
    """Our clustering equals shap.maskers.Text(...).clustering on the text, with a word tokenizer."""
    tokens = split_words("The w1 didn't say (w2, w3) and w4's w5 - w6 U.S. w7. W8 w9 3.5% w10: w11, or w12!")
    text = detokenize(tokens)

    def tokenizer(s: str, return_offsets_mapping: bool = False) -> dict:
        spans = [m.span() for m in _TOKEN.finditer(s)]
        out = {"input_ids": [s[a:b] for a, b in spans]}
        return {**out, "offset_mapping": spans} if return_offsets_mapping else out

    expected = shap.maskers.Text(tokenizer).clustering(text)
    assert [text[a:b] for a, b in tokenizer(text, True)["offset_mapping"]] == tokens
    np.testing.assert_array_equal(text_clustering(tokens), expected)


def test_single_source_token(vocab):
    model, generation = generate(vocab, "w5")
    result = partition_shap(PointerScorer(model, generation))
    assert result.scores.shape == (len(generation.summary_tokens), 1)
    np.testing.assert_allclose(result.scores[:, 0], ends(model, generation), rtol=0, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [({"max_evals": 1}, "max_evals must be at least 2"),
                                             ({"max_evals": 50.0}, "max_evals must be an integer"),
                                             ({"seed": -1}, "seed must be at least 0"),
                                             ({"seed": True}, "seed must be an integer")])
def test_invalid_arguments(vocab, kwargs, message):
    model, generation = generate(vocab)
    with pytest.raises(ValueError, match=message):
        METHODS["partition_shap"](PointerScorer(model, generation), **kwargs)
