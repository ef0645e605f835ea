"""Explainers on tiny seeded models: axioms, and equality with straightforward per-token captum calls."""
import random

import numpy as np
import pytest
import torch
from captum.attr import FeatureAblation, InputXGradient, KernelShap, LayerIntegratedGradients, Lime, Saliency

from attnviz.decoding import DecodingSettings
from attnviz.errors import InputError
from attnviz.explain import METHODS, ForcedScorer, explain, method_names
from attnviz.pipeline import Summarizer
from attnviz.tokenizer import PAD_ID
from tests.conftest import make_model, random_text


@pytest.fixture(scope="module")
def case():
    from attnviz.tokenizer import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=11, coverage=True)
    summarizer = Summarizer(model, vocab)
    text = random_text(random.Random(5), 14, oov_rate=0.2)
    generation = summarizer.summarize(text, DecodingSettings(beam_size=2, min_len=4, max_len=5))
    return model, generation


def _forward_presence(scorer: ForcedScorer):
    def forward(presence):
        return scorer.score_keep(presence > 0.5)
    return forward


def test_registry_names_and_errors(case):
    model, generation = case
    assert method_names("all") == list(METHODS)
    assert method_names("lime, attention") == ["attention", "lime"]
    with pytest.raises(InputError, match="valid choices: .*integrated_gradients"):
        method_names("integrated_gradient")
    with pytest.raises(InputError, match="takes: n_steps, max_steps, tolerance, method"):
        explain(model, generation, "integrated_gradients", params={"integrated_gradients": {"steps": 3}})
    with pytest.raises(InputError, match="n_samples must be at least 2"):
        explain(model, generation, "lime", params={"lime": {"n_samples": 1}})


def test_all_methods_give_finite_t_by_s_scores_and_costs(case):
    model, generation = case
    results = explain(model, generation, "all", params={"lime": {"n_samples": 40}, "kernel_shap": {"n_samples": 40},
                                                        "integrated_gradients": {"n_steps": 8},
                                                        "partition_shap": {"max_evals": 40}})
    t, s = generation.attention.shape
    for name, attribution in results.items():
        assert attribution.scores.shape == (t, s) and np.isfinite(attribution.scores).all(), name
        assert attribution.seconds >= 0
    assert results["attention"].forward_passes == 0
    np.testing.assert_array_equal(results["attention"].scores, generation.attention)
    assert results["occlusion"].forward_passes == s + 1
    assert results["integrated_gradients"].forward_passes == 8 + 2
    assert results["integrated_gradients"].backward_passes == 8 * t
    assert results["lime"].forward_passes <= 40        # each distinct mask once, whatever T is


def test_integrated_gradients_completeness_and_equality_with_captum(case):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    ours = METHODS["integrated_gradients"](scorer, generation, n_steps=50)
    assert ours.checks["worst_relative_delta"] <= 0.01
    lig = LayerIntegratedGradients(scorer.score_ids, model.source_embedding)
    baseline = torch.full_like(scorer.ids, PAD_ID)
    for t in range(scorer.summary_len):
        reference = lig.attribute(scorer.ids, baselines=baseline, target=t, n_steps=50).sum(-1)[0]
        np.testing.assert_allclose(ours.scores[t], reference.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("name,captum_cls", [("input_x_gradient", InputXGradient), ("saliency", Saliency)])
def test_gradient_methods_equal_captum_per_token(case, name, captum_cls):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    ours = METHODS[name](scorer, generation)
    x = model.source_embedding(scorer.ids).detach()
    method = captum_cls(lambda emb: scorer.score_embedded(emb))
    for t in range(scorer.summary_len):
        kwargs = {"abs": True} if name == "saliency" else {}
        reference = method.attribute(x.clone().requires_grad_(True), target=t, **kwargs).sum(-1)[0]
        np.testing.assert_allclose(ours.scores[t], reference.detach().numpy(), atol=1e-5)


def test_occlusion_equals_brute_force_and_captum(case):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    ours = METHODS["occlusion"](scorer, generation)
    forward = scorer.score_ids
    with torch.no_grad():
        full = forward(scorer.ids)[0]
        for j in range(scorer.source_len):
            dropped = scorer.ids.clone()
            dropped[0, j] = PAD_ID
            np.testing.assert_allclose(ours.scores[:, j], (full - forward(dropped)[0]).numpy(), atol=1e-5)
    ablation = FeatureAblation(_forward_presence(scorer))
    presence = torch.ones(1, scorer.source_len)
    for t in range(scorer.summary_len):
        reference = ablation.attribute(presence, baselines=0.0, target=t)[0]
        np.testing.assert_allclose(ours.scores[t], reference.numpy(), atol=1e-5)


@pytest.mark.parametrize("name,captum_cls", [("lime", Lime), ("kernel_shap", KernelShap)])
def test_shared_pass_equals_per_token_captum_calls(case, name, captum_cls):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    ours = METHODS[name](scorer, generation, n_samples=60, seed=3)
    again = METHODS[name](ForcedScorer(model, generation), generation, n_samples=60, seed=3)
    np.testing.assert_array_equal(ours.scores, again.scores)                 # a seed gives identical results
    assert ours.forward_passes <= 60
    per_token = captum_cls(_forward_presence(scorer))
    presence = torch.ones(1, scorer.source_len)
    for t in range(scorer.summary_len):
        torch.manual_seed(3)
        reference = per_token.attribute(presence, baselines=0.0, target=t, n_samples=60,
                                        feature_mask=torch.arange(scorer.source_len).unsqueeze(0))[0]
        np.testing.assert_allclose(ours.scores[t], reference.numpy(), atol=1e-5)


def test_kernel_shap_efficiency(case):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    result = METHODS["kernel_shap"](scorer, generation, n_samples=300, seed=0)
    ends = scorer.score_keep(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    np.testing.assert_allclose(result.scores.sum(axis=1), (ends[0] - ends[1]).numpy(), atol=1e-4)
    assert result.checks["efficiency_max_abs_error"] <= 1e-4


def test_batches_respect_a_small_memory_budget(case):
    model, generation = case
    small = ForcedScorer(model, generation, memory_budget_mb=1)
    large = ForcedScorer(model, generation)
    assert small.batch_size < large.batch_size
    keep = torch.rand(37, small.source_len) > 0.3
    np.testing.assert_allclose(small.score_keep(keep).numpy(), large.score_keep(keep).numpy(), atol=1e-5)


def test_integrated_gradients_refines_rows_that_miss_the_tolerance(case):
    from attnviz.explain.reference import per_token_integrated_gradients

    model, generation = case
    scorer = ForcedScorer(model, generation)
    coarse = METHODS["integrated_gradients"](scorer, generation, n_steps=2, max_steps=2)
    refined = METHODS["integrated_gradients"](ForcedScorer(model, generation), generation, n_steps=2, max_steps=32,
                                              tolerance=1e-3)
    steps = refined.checks["steps_per_row"]
    assert coarse.checks["worst_relative_delta"] > 1e-3 and refined.checks["rows_refined"] >= 1
    assert set(steps) <= {2, 4, 8, 16, 32} and max(steps) > 2
    assert refined.checks["worst_relative_delta_at_n_steps"] == pytest.approx(coarse.checks["worst_relative_delta"])
    assert refined.checks["worst_relative_delta"] < coarse.checks["worst_relative_delta"]
    expected = per_token_integrated_gradients(scorer, range(scorer.summary_len), n_steps=steps)
    np.testing.assert_allclose(refined.scores, expected, atol=1e-5)   # each row equals captum at its own steps
    assert refined.backward_passes == sum(2 * n - 2 for n in steps)     # rounds of 2, 4, …, n steps per row
    with pytest.raises(InputError, match="n_steps <= max_steps"):
        explain(model, generation, "integrated_gradients", params={"integrated_gradients": {"n_steps": 8, "max_steps": 4}})
