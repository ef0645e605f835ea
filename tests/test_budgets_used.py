"""The sample budget a method reports is the one it used (issue 24: a KernelSHAP silently capped at 100
samples passed the known answers). The model calls are counted here, by wrapping the scorer's
``score_keep`` and ``score_presence``, and the masks a sampling method ran are compared with the masks
captum draws for the reported ``n_samples`` and seed, recorded here with a forward function of our own."""
import random

import numpy as np
import pytest
import torch
from captum.attr import KernelShap

from attnviz.explain import explain
from attnviz.explain.reference import make_lime
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import make_model, random_text

S = 24                                        # 2^24 coalitions: 300 draws are far from all of them


class Counted:
    """A scorer whose model calls are counted and whose binary masks are recorded, in the order run."""

    def __init__(self, scorer) -> None:
        self.rows, self.masks, self.presence_rows = 0, [], 0
        keep, presence = scorer.score_keep, scorer.score_presence

        def score_keep(masks):
            masks = torch.as_tensor(masks) != 0
            self.rows += masks.shape[0]
            self.masks.extend(m.cpu().numpy().tobytes() for m in masks)
            return keep(masks)

        def score_presence(points):
            self.presence_rows += points.shape[0]
            return presence(points)

        scorer.score_keep, scorer.score_presence = score_keep, score_presence


@pytest.fixture
def scorer(vocab):
    model = make_model(vocab, seed=3)
    generation = PointerSummarizer(model, vocab).summarize(random_text(random.Random(5), S),
                                                           DecodingSettings(beam_size=1, min_len=3, max_len=3))
    return PointerScorer(model, generation)


def captum_masks(make_explainer, n_samples: int, seed: int, rows: int) -> set[bytes]:
    """The distinct presence masks captum asks for, ``rows`` calls with ``seed`` (as the method calls it)."""
    seen = set()

    def forward(presence):
        for row in presence.reshape(presence.shape[0], -1) > 0.5:
            seen.add(row.numpy().tobytes())
        return torch.zeros(presence.shape[0], rows)

    explainer = make_explainer(forward)
    for t in range(rows):
        torch.manual_seed(seed)
        explainer.attribute(torch.ones(1, S), baselines=0.0, target=t, n_samples=n_samples,
                            feature_mask=torch.arange(S).unsqueeze(0))
    return seen


@pytest.mark.parametrize("name, make_explainer", [("kernel_shap", KernelShap), ("lime", make_lime)])
def test_a_sampling_method_runs_the_masks_of_the_samples_it_reports(scorer, name, make_explainer):
    counted = Counted(scorer)
    result = explain(scorer, [name], params={name: {"n_samples": 300, "seed": 4}})[name]
    assert result.params["n_samples"] == 300 and result.params["seed"] == 4
    assert result.forward_passes == counted.rows == len(counted.masks)
    assert len(set(counted.masks)) == counted.rows                   # each distinct mask run once
    expected = captum_masks(make_explainer, 300, 4, scorer.summary_len)
    assert len(expected) > 150                                        # 300 draws: far more than 100 distinct masks
    assert set(counted.masks) == expected
    assert result.checks["distinct_masks"] == len(expected)


def test_occlusion_and_gradient_methods_report_the_passes_they_ran(scorer):
    counted = Counted(scorer)
    occlusion = explain(scorer, ["occlusion"])["occlusion"]
    assert occlusion.forward_passes == counted.rows == S + 1
    leave_one_out = [np.arange(S) != j for j in range(S)]
    assert counted.masks == [np.ones(S, dtype=bool).tobytes()] + [m.tobytes() for m in leave_one_out]
    before = counted.rows
    ig = explain(scorer, ["integrated_gradients"], params={"integrated_gradients": {
        "n_steps": 12, "max_steps": 12, "tolerance": 1.0, "abs_tolerance": 10.0}})["integrated_gradients"]
    assert ig.params["n_steps"] == 12 and ig.checks["steps_per_row"] == [12] * scorer.summary_len
    assert counted.rows - before == 2 and counted.presence_rows == 12  # the two ends, then one point per node
    assert ig.forward_passes == 2 + 12 and ig.backward_passes == 12 * scorer.summary_len


def test_partition_shap_runs_at_most_its_evaluations_and_reports_them(scorer):
    counted = Counted(scorer)
    result = explain(scorer, ["partition_shap"], params={"partition_shap": {"max_evals": 200}})["partition_shap"]
    assert result.params["max_evals"] == 200
    assert result.forward_passes == counted.rows == result.checks["evaluations"]
    assert 100 < counted.rows <= 201
