"""Explainers on tiny seeded models: known answers (exact Shapley/Owen values by enumeration, LIME's ridge
solved directly, a fine IG quadrature), equality with per-token captum calls, and the batching paths."""
import random

import numpy as np
import pytest
import torch
from captum.attr import FeatureAblation

from attnviz.errors import InputError
from attnviz.explain import METHODS, explain, known, method_names, reference
from attnviz.explain.partition import text_clustering
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import make_model, random_text


@pytest.fixture(scope="module")
def case():
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=11, coverage=True)
    summarizer = PointerSummarizer(model, vocab)
    text = random_text(random.Random(5), 14, oov_rate=0.2)
    generation = summarizer.summarize(text, DecodingSettings(beam_size=2, min_len=4, max_len=5))
    return model, generation


@pytest.fixture(scope="module")
def short_case():
    """8 source tokens (one OOV word), so that all 256 coalitions can be enumerated."""
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=7, coverage=True)
    generation = PointerSummarizer(model, vocab).summarize("w3 w17 zz9 w5 the w21 , w8",
                                                    DecodingSettings(beam_size=1, min_len=3, max_len=3))
    scorer = PointerScorer(model, generation)
    return model, generation, scorer, known.coalition_values(scorer)


def _forward_presence(scorer: PointerScorer):
    def forward(presence):
        return scorer.score_keep(presence > 0.5)
    return forward


def test_registry_names_and_errors(case):
    model, generation = case
    assert method_names("all") == list(METHODS)
    assert method_names("lime, attention") == ["attention", "lime"]
    with pytest.raises(InputError, match="valid choices: .*integrated_gradients"):
        method_names("integrated_gradient")
    with pytest.raises(InputError, match="takes: n_steps, max_steps, tolerance, abs_tolerance, method, path_power"):
        explain(PointerScorer(model, generation), "integrated_gradients", params={"integrated_gradients": {"steps": 3}})
    with pytest.raises(InputError, match="n_samples must be at least 2"):
        explain(PointerScorer(model, generation), "lime", params={"lime": {"n_samples": 1}})


def test_all_methods_give_finite_t_by_s_scores_and_costs(case):
    model, generation = case
    results = explain(PointerScorer(model, generation), "all", params={"lime": {"n_samples": 40}, "kernel_shap": {"n_samples": 40},
                                                        "integrated_gradients": {"n_steps": 8, "max_steps": 8},
                                                        "partition_shap": {"max_evals": 40}})
    t, s = generation.attention.shape
    for name, attribution in results.items():
        assert attribution.scores.shape == (t, s) and np.isfinite(attribution.scores).all(), name
        assert attribution.seconds >= 0
    assert results["attention"].forward_passes == 0
    np.testing.assert_array_equal(results["attention"].scores, generation.attention)
    assert results["occlusion"].forward_passes == s + 1
    assert results["integrated_gradients"].forward_passes == 8 + 2   # the path and its two ends
    assert results["integrated_gradients"].backward_passes == 8 * t
    assert results["lime"].forward_passes <= 40        # each distinct mask once, whatever T is


def test_integrated_gradients_equals_captum_and_a_fine_quadrature(case):
    model, generation = case
    scorer = PointerScorer(model, generation)
    plain = METHODS["integrated_gradients"](scorer, n_steps=50, path_power=1)   # captum's own nodes
    rows = range(scorer.summary_len)
    steps = plain.checks["steps_per_row"]
    np.testing.assert_allclose(plain.scores, reference.per_token_integrated_gradients(scorer, rows, n_steps=steps),
                               atol=1e-5)
    ours = METHODS["integrated_gradients"](scorer)                              # nodes moved to α = u³
    assert ours.checks["all_rows_converged"] and ours.checks["worst_delta_over_allowed"] <= 1
    fine = reference.per_token_integrated_gradients(scorer, rows, n_steps=2000)
    np.testing.assert_allclose(ours.scores, fine, atol=1e-4)
    coarse = METHODS["integrated_gradients"](scorer, n_steps=2, max_steps=2, method="riemann_left")
    assert np.abs(coarse.scores - fine).max() > 1e-3                      # the comparison can fail


@pytest.mark.parametrize("name", ["input_x_gradient", "saliency"])
def test_gradient_methods_equal_captum_per_token(case, name):
    model, generation = case
    scorer = PointerScorer(model, generation)
    ours = METHODS[name](scorer)
    expected = reference.per_token_gradient(name, scorer, range(scorer.summary_len))
    np.testing.assert_allclose(ours.scores, expected, atol=1e-5)


def test_input_x_gradient_is_the_slope_of_removing_a_token(case):
    """∂f/∂g_j at g = 1 against a central finite difference of the presence gate."""
    model, generation = case
    scorer = PointerScorer(model, generation)
    ours = METHODS["input_x_gradient"](scorer).scores
    h = 1e-2
    for j in (0, scorer.source_len // 2):
        up, down = torch.ones(1, scorer.source_len), torch.ones(1, scorer.source_len)
        up[0, j], down[0, j] = 1 + h, 1 - h
        with torch.no_grad():
            slope = (scorer.score_presence(up) - scorer.score_presence(down))[0] / (2 * h)
        np.testing.assert_allclose(ours[:, j], slope.numpy(), atol=2e-3)


def test_occlusion_equals_leave_one_out_and_captum(case):
    model, generation = case
    scorer = PointerScorer(model, generation)
    ours = METHODS["occlusion"](scorer)
    np.testing.assert_allclose(ours.scores, reference.leave_one_out(scorer), atol=1e-5)
    ablation = FeatureAblation(_forward_presence(scorer))
    presence = torch.ones(1, scorer.source_len)
    for t in range(scorer.summary_len):
        expected = ablation.attribute(presence, baselines=0.0, target=t)[0]
        np.testing.assert_allclose(ours.scores[t], expected.numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["lime", "kernel_shap"])
def test_shared_pass_equals_per_token_captum_calls(case, name):
    model, generation = case
    scorer = PointerScorer(model, generation)
    ours = METHODS[name](scorer, n_samples=60, seed=3)
    again = METHODS[name](PointerScorer(model, generation), n_samples=60, seed=3)
    np.testing.assert_array_equal(ours.scores, again.scores)                 # a seed gives identical results
    assert ours.forward_passes <= 60
    expected = reference.per_token_presence(name, scorer, range(scorer.summary_len), seed=3, n_samples=60)
    np.testing.assert_allclose(ours.scores, expected, atol=1e-5)


def test_rows_of_ig_kernel_shap_and_partition_sum_to_the_same_gap(case):
    model, generation = case
    results = explain(PointerScorer(model, generation), ["integrated_gradients", "kernel_shap", "partition_shap"])
    scorer = PointerScorer(model, generation)
    ends = scorer.score_keep(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    gap = (ends[0] - ends[1]).numpy()
    for name, result in results.items():
        np.testing.assert_allclose(result.scores.sum(axis=1), gap, atol=2e-3 if name == "integrated_gradients" else 1e-4)


def test_exact_shapley_values_by_enumeration(short_case):
    """The enumeration against a closed form: an additive game's Shapley values are its terms."""
    _, _, scorer, values = short_case
    s = scorer.source_len
    weights = np.arange(1.0, s + 1)
    additive = (known.all_coalitions(s) @ weights)[:, None]               # v(A) = Σ_{j∈A} w_j
    np.testing.assert_allclose(known.exact_shapley(additive, s)[0], weights, atol=1e-12)
    phi = known.exact_shapley(values, s)
    np.testing.assert_allclose(phi.sum(axis=1), values[-1] - values[0], atol=1e-6)


def test_kernel_shap_approaches_the_exact_shapley_values(short_case):
    model, generation, scorer, values = short_case
    exact = known.exact_shapley(values, scorer.source_len)
    errors = [np.abs(METHODS["kernel_shap"](scorer, n_samples=n, seed=0).scores - exact).max()
              for n in (20, 2000)]
    assert errors[1] < 0.03 * np.abs(exact).max()
    assert errors[1] < errors[0] / 3


def test_partition_shap_equals_the_exact_owen_values_of_its_hierarchy(short_case):
    model, generation, scorer, values = short_case
    owen = known.exact_owen(values, text_clustering(generation.source_tokens), scorer.source_len)
    ours = METHODS["partition_shap"](scorer, max_evals=2000).scores
    np.testing.assert_allclose(ours, owen, atol=1e-5)
    assert np.abs(owen - known.exact_shapley(values, scorer.source_len)).max() > 1e-4   # Owen ≠ Shapley here


def test_lime_equals_its_weighted_ridge_solved_directly(short_case):
    model, generation, scorer, _ = short_case
    ours = METHODS["lime"](scorer, n_samples=120, seed=2).scores
    direct = np.stack([known.lime_by_ridge(scorer, t, n_samples=120, seed=2) for t in range(scorer.summary_len)])
    np.testing.assert_allclose(ours, direct, atol=1e-5)


def test_batches_respect_a_small_memory_budget(case):
    model, generation = case
    small = PointerScorer(model, generation, memory_budget_mb=1)
    large = PointerScorer(model, generation)
    assert small.batch_size < large.batch_size
    keep = torch.rand(37, small.source_len) > 0.3
    np.testing.assert_allclose(small.score_keep(keep).numpy(), large.score_keep(keep).numpy(), atol=1e-5)


def test_multi_batch_paths_equal_one_batch(case):
    """A 0.2 MB budget splits IG's path and captum's samples into many model calls; the results are equal."""
    model, generation = case
    params = {"integrated_gradients": {"n_steps": 20}, "lime": {"n_samples": 50}, "kernel_shap": {"n_samples": 50},
              "partition_shap": {"max_evals": 60}}
    names = ["integrated_gradients", "input_x_gradient", "occlusion", "lime", "kernel_shap", "partition_shap"]
    small = explain(PointerScorer(model, generation, memory_budget_mb=0.2), names, params=params)
    large = explain(PointerScorer(model, generation), names, params=params)
    assert PointerScorer(model, generation, memory_budget_mb=0.2).batch_size < 10
    for name in names:
        np.testing.assert_allclose(small[name].scores, large[name].scores, atol=1e-5, err_msg=name)


def test_integrated_gradients_refines_rows_that_miss_the_tolerance(case):
    model, generation = case
    scorer = PointerScorer(model, generation)
    coarse = METHODS["integrated_gradients"](scorer, n_steps=2, max_steps=2, abs_tolerance=0,
                                             path_power=1)
    refined = METHODS["integrated_gradients"](PointerScorer(model, generation), n_steps=2, max_steps=32,
                                              tolerance=1e-3, abs_tolerance=0, path_power=1)
    steps = refined.checks["steps_per_row"]
    assert coarse.checks["worst_delta_over_allowed"] > 1 and refined.checks["rows_refined"] >= 1
    assert set(steps) <= {2, 4, 8, 16, 32} and max(steps) > 2
    assert all(("at 2 steps" in why) == (n > 2) for why, n in zip(refined.checks["refined_because"], steps))
    assert refined.checks["worst_delta_over_allowed"] < coarse.checks["worst_delta_over_allowed"]
    expected = reference.per_token_integrated_gradients(scorer, range(scorer.summary_len), n_steps=steps)
    np.testing.assert_allclose(refined.scores, expected, atol=1e-5)   # each row equals captum at its own steps
    assert refined.backward_passes == sum(2 * n - 2 for n in steps)     # rounds of 2, 4, …, n steps per row
    with pytest.raises(InputError, match="n_steps <= max_steps"):
        explain(PointerScorer(model, generation), "integrated_gradients", params={"integrated_gradients": {"n_steps": 8, "max_steps": 4}})


def test_an_absolute_tolerance_stops_refining_rows_with_a_tiny_gap(case):
    model, generation = case
    loose = METHODS["integrated_gradients"](PointerScorer(model, generation), n_steps=2, max_steps=32,
                                            tolerance=1e-3, abs_tolerance=10.0)
    assert loose.checks["rows_refined"] == 0 and loose.checks["all_rows_converged"]
    np.testing.assert_allclose(loose.checks["allowed_delta"], 10.0)


def test_a_nested_rule_reuses_the_nodes_it_has_seen(case):
    """riemann_trapezoid at 3 → 5 → 9 nodes: each refinement evaluates only the new nodes."""
    model, generation = case
    scorer = PointerScorer(model, generation)
    result = METHODS["integrated_gradients"](scorer, n_steps=3, max_steps=9, tolerance=0,
                                             abs_tolerance=1e-9, method="riemann_trapezoid", path_power=1)
    t = scorer.summary_len
    assert result.checks["steps_per_row"] == [9] * t
    assert result.backward_passes == 9 * t and result.checks["reused_gradients"] == (3 + 5) * t
    expected = reference.per_token_integrated_gradients(scorer, range(t), n_steps=9, method="riemann_trapezoid")
    np.testing.assert_allclose(result.scores, expected, atol=1e-5)


def test_the_convergence_note_names_rows_that_did_not_converge(case):
    from attnviz.explain.gradients import convergence_note

    model, generation = case
    good = METHODS["integrated_gradients"](PointerScorer(model, generation))
    assert convergence_note(good.checks).startswith("Every row converged")
    bad = METHODS["integrated_gradients"](PointerScorer(model, generation), n_steps=2, max_steps=2,
                                          method="riemann_left", abs_tolerance=1e-9)
    rows = [t for t, (d, a) in enumerate(zip(bad.checks["convergence_delta"], bad.checks["allowed_delta"]))
            if abs(d) > a]
    assert rows and convergence_note(bad.checks).startswith(f"Rows {', '.join(map(str, rows))} did not converge")


def test_kernel_shap_of_a_one_token_source_is_the_whole_gap():
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=2)
    generation = PointerSummarizer(model, vocab).summarize("w7", DecodingSettings(beam_size=1, min_len=2, max_len=3))
    scorer = PointerScorer(model, generation)
    ends = scorer.score_keep(torch.tensor([[1], [0]])).numpy()
    np.testing.assert_allclose(METHODS["kernel_shap"](scorer).scores[:, 0], ends[0] - ends[1], atol=1e-6)
