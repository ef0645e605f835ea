"""Counterfactual attention: the summary re-scored with attention made uniform, permuted, or without its top-k."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attnviz.errors import InputError
from attnviz.measures import Counterfactual
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.counterfactual import VARIANTS, counterfactual_attention

TEXT = "zz101 w3 zz202 w8 w9 w1 w7 w2 w4 w5"          # the copy model repeats the first three words


@pytest.fixture(scope="module")
def generation(copy_summarizer):
    return copy_summarizer.summarize(TEXT, DecodingSettings(beam_size=1, min_len=3, max_len=3))


def test_the_original_row_is_the_model_itself(copy_summarizer, generation):
    result = counterfactual_attention(copy_summarizer.scorer(generation))
    np.testing.assert_allclose(result.original, generation.token_logprobs, atol=1e-5)
    assert result.original_greedy.all()                                 # greedy decoding made this summary
    assert set(result.change) == set(VARIANTS) and all(v.shape == (3,) for v in result.change.values())


def test_moving_attention_off_the_only_copy_of_a_word_costs_it(copy_summarizer, generation):
    """zz101 can only be copied: spread evenly (1/10 of the mass on it) or with its token removed, its
    log-probability must fall by far more than sampling noise."""
    result = counterfactual_attention(copy_summarizer.scorer(generation), k=1)
    assert result.change["uniform"][0] < -1.0, result.change["uniform"]
    assert result.change["top_k_removed"][0] < -3.0, result.change["top_k_removed"]
    assert not result.same_greedy["top_k_removed"][0]


def test_an_identity_permutation_changes_nothing(copy_summarizer, generation, monkeypatch):
    monkeypatch.setattr(torch, "randperm", lambda n, generator=None: torch.arange(n))
    result = counterfactual_attention(copy_summarizer.scorer(generation))
    np.testing.assert_allclose(result.change["permuted"], 0.0, atol=1e-6)
    assert result.same_greedy["permuted"].all()


def test_same_seed_same_permutation_and_a_round_trip(copy_summarizer, generation):
    first, again = (counterfactual_attention(copy_summarizer.scorer(generation), seed=3) for _ in range(2))
    np.testing.assert_array_equal(first.change["permuted"], again.change["permuted"])
    back = Counterfactual.from_json(first.to_json())
    np.testing.assert_allclose(back.change["uniform"], first.change["uniform"], atol=1e-6)
    assert back.summary().keys() == first.summary().keys()


def test_bad_k_and_foreign_scorers_are_refused(copy_summarizer, generation):
    with pytest.raises(InputError, match="at least 1"):
        counterfactual_attention(copy_summarizer.scorer(generation), k=0)
    with pytest.raises(InputError, match="pointer-generator"):
        counterfactual_attention(object())


def test_the_explanation_document_carries_it(copy_summarizer):
    from attnviz.explanation import Explanation
    from attnviz.pipeline import explain_text

    explanation = explain_text(copy_summarizer, TEXT, "occlusion", with_faithfulness=False, counterfactual=True,
                               decoding=DecodingSettings(beam_size=1, min_len=3, max_len=3))
    again = Explanation.loads(explanation.dumps())
    np.testing.assert_allclose(again.counterfactual.change["top_k_removed"],
                               explanation.counterfactual.change["top_k_removed"], atol=1e-6)
