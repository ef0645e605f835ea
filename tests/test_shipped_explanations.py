"""Explanations on the shipped model, where an untrained tiny model would hide what matters: a trained mask
embedding, copying of out-of-vocabulary words, real curvature along the IG path. Each test compares with
an answer computed another way (enumeration, a closed form, a fine quadrature, a second forward pass)."""
import numpy as np
import pytest
import torch

from attnviz.explain import METHODS, explain, known, reference
from attnviz.explain.partition import text_clustering
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from attnviz.models.pointer.vocabulary import PAD_ID, UNK_ID
from tests.conftest import absent_token_effects, intact

TEXT = ("Greek finance minister Yanis Varoufakis has resigned, a day after voters rejected the terms of an "
        "international bailout. Mr Varoufakis said he had been told that some eurozone ministers preferred "
        "his absence from their meetings.")
SUMMARY = "Varoufakis resigns as Greek finance minister"      # "varoufakis" is not in the vocabulary


@pytest.fixture(scope="module")
def shipped() -> PointerSummarizer:
    return PointerSummarizer.from_checkpoint(device="cpu")


@pytest.fixture(scope="module")
def case(shipped):
    generation = shipped.force(TEXT, SUMMARY)
    return shipped.model, generation, PointerScorer(shipped.model, generation)


@pytest.fixture(scope="module")
def short(shipped):
    """The first 10 source tokens and a 3-token summary: 1,024 coalitions to enumerate."""
    generation = shipped.force(" ".join(TEXT.split()[:9]), "Varoufakis resigns")
    scorer = PointerScorer(shipped.model, generation)
    return shipped.model, generation, scorer, known.coalition_values(scorer)


def test_an_absent_token_is_read_as_the_mask_embedding_and_gets_no_attention(case):
    model, generation, scorer = case
    for j in (0, 5, scorer.source_len - 1):
        change, weight = absent_token_effects(scorer, j, 500)
        assert change == 0 and weight == 0
    mask, pad = model.mask_embedding.detach(), model.source_embedding.weight[PAD_ID].detach()
    assert mask.norm() > 0.5 and (mask - pad).norm() > 0.5                # a trained vector of its own, not <pad>


def test_a_copied_oov_word_removed_everywhere_scores_what_the_model_gives_unk(shipped, case):
    """With every source occurrence of "Varoufakis" absent, row 0 is log(generate share · P(<unk>)): the
    same number as the teacher-forced log-prob of <unk> in its place. Finite, and far from the old clamp."""
    model, generation, scorer = case
    t, oov = 0, int(generation.summary_ids[0])
    assert oov >= model.config.vocab_size and generation.summary_tokens[0] == "Varoufakis"
    occurrences = generation.source_ext_ids == oov
    assert occurrences.sum() == 2
    keep = torch.ones(1, scorer.source_len)
    keep[0, torch.as_tensor(occurrences)] = 0
    removed = float(scorer.score_keep(keep)[0, t])
    targets = scorer.targets.clone()
    targets[0, t] = UNK_ID
    with torch.no_grad():
        as_unk = model(scorer.ids, scorer.ext_ids, torch.ones_like(scorer.ids, dtype=torch.bool), targets,
                       presence=keep).target_logprobs[0, t]
    assert removed == pytest.approx(float(as_unk), abs=1e-6)
    assert -20 < removed < float(intact(scorer)[t]) - 1                   # copying it mattered, and -27.6 is gone
    occlusion = METHODS["occlusion"](scorer).scores
    assert np.isfinite(occlusion).all() and np.abs(occlusion).max() < 15


def test_ig_kernel_shap_and_partition_rows_sum_to_the_same_gap(case):
    model, generation, scorer = case
    results = explain(PointerScorer(model, generation), ["integrated_gradients", "kernel_shap", "partition_shap"])
    ends = scorer.score_keep(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    gap = (ends[0] - ends[1]).numpy()
    assert np.abs(gap).max() > 1                                          # the identity is not 0 = 0
    ig = results["integrated_gradients"]
    assert ig.checks["all_rows_converged"]
    assert np.all(np.abs(ig.scores.sum(axis=1) - gap) <= np.asarray(ig.checks["allowed_delta"]) + 1e-6)
    for name in ("kernel_shap", "partition_shap"):
        np.testing.assert_allclose(results[name].scores.sum(axis=1), gap, atol=1e-4, err_msg=name)


def test_integrated_gradients_equals_a_fine_quadrature(case):
    model, generation, scorer = case
    ours = METHODS["integrated_gradients"](scorer)
    rows = range(2)
    fine = reference.per_token_integrated_gradients(scorer, rows, n_steps=2000)
    np.testing.assert_allclose(ours.scores[:2], fine, atol=1e-3)


def test_partition_shap_equals_the_exact_owen_values(short):
    model, generation, scorer, values = short
    owen = known.exact_owen(values, text_clustering(generation.source_tokens), scorer.source_len)
    ours = METHODS["partition_shap"](scorer, max_evals=4096).scores
    np.testing.assert_allclose(ours, owen, atol=1e-5)


def test_kernel_shap_approaches_the_exact_shapley_values(short):
    model, generation, scorer, values = short
    exact = known.exact_shapley(values, scorer.source_len)
    ours = METHODS["kernel_shap"](scorer, n_samples=4000, seed=0).scores
    assert np.abs(ours - exact).max() < 0.05 * np.abs(exact).max()


def test_lime_equals_its_weighted_ridge_solved_directly(short):
    model, generation, scorer, _ = short
    ours = METHODS["lime"](scorer).scores
    direct = np.stack([known.lime_by_ridge(scorer, t, n_samples=300, seed=0) for t in range(scorer.summary_len)])
    np.testing.assert_allclose(ours, direct, atol=1e-5)
