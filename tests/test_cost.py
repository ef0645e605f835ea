"""The cost estimate before running equals (or bounds) what the methods then spend."""
import random

import pytest

from attnviz.explain import METHODS, explain
from attnviz.explain.cost import estimate, passes, seconds_per_pass
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import make_model, random_text

PARAMS = {"integrated_gradients": {"n_steps": 6}, "lime": {"n_samples": 30}, "kernel_shap": {"n_samples": 30},
          "partition_shap": {"max_evals": 30}}


def test_passes_equal_or_bound_the_real_cost(vocab):
    model = make_model(vocab, seed=5)
    generation = PointerSummarizer(model, vocab).summarize(random_text(random.Random(3), 9),
                                                    DecodingSettings(beam_size=1, min_len=3, max_len=3))
    s, t = len(generation.source_tokens), len(generation.summary_tokens)
    results = explain(PointerScorer(model, generation), "all", params=PARAMS)
    for name, attribution in results.items():
        forward, backward, bound = passes(name, PARAMS.get(name, {}), s, t)
        if bound == "exact":
            assert (attribution.forward_passes, attribution.backward_passes) == (forward, backward), name
        elif bound == "at most":
            assert attribution.forward_passes <= forward and attribution.backward_passes == backward, name
        else:
            assert attribution.forward_passes >= forward and attribution.backward_passes >= backward, name
    per_forward, per_backward = seconds_per_pass(PointerScorer(model, generation))
    costs = estimate(list(METHODS), PARAMS, s, t, per_forward, per_backward)
    assert per_forward > 0 and per_backward > 0
    assert costs[0].seconds == 0 and all(c.seconds > 0 for c in costs[1:])


def test_unknown_method():
    with pytest.raises(KeyError):
        passes("nope", {}, 3, 2)
