"""AOPC equals the mean of the comprehensiveness and sufficiency curves computed here, removing each row's
top k tokens through the scorer (issue 24: an AOPC of sum / (K + 1) passed every test). On the shipped model,
where removing a summary token's best-ranked source tokens moves f by nats."""
import math

import numpy as np
import pytest

from attnviz.explain import explain
from attnviz.faithfulness import faithfulness
from attnviz.models.pointer.summarizer import PointerSummarizer

TEXT = ("Greek finance minister Yanis Varoufakis has resigned, a day after voters rejected the terms of an "
        "international bailout.")
SUMMARY = "Varoufakis resigns as finance minister"
FRACTIONS = (0.05, 0.2, 0.5)


@pytest.fixture(scope="module")
def case():
    shipped = PointerSummarizer.from_checkpoint(device="cpu")
    generation = shipped.force(TEXT, SUMMARY)
    scores = {name: a.scores for name, a in explain(shipped.scorer(generation), ["attention", "occlusion"]).items()}
    return shipped, generation, scores


def direct_curves(scorer, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comprehensiveness and sufficiency [T, K] and the deletion curve [T, K + 1], one mask at a time."""
    s, t_len = scorer.source_len, scorer.summary_len
    full = scorer.score_masks(np.ones((1, s), dtype=bool))[0]
    k = len(FRACTIONS)
    comp, suff, dele = np.zeros((t_len, k)), np.zeros((t_len, k)), np.zeros((t_len, k + 1))
    dele[:, 0] = full
    for t in range(t_len):
        order = sorted(range(s), key=lambda j: (-scores[t, j], j))      # highest first, ties to the earlier token
        for i, share in enumerate(FRACTIONS):
            top = order[:max(1, math.ceil(share * s))]
            without = np.ones((1, s), dtype=bool)
            without[0, top] = False
            f_without, f_only = scorer.score_masks(without)[0, t], scorer.score_masks(~without)[0, t]
            comp[t, i], suff[t, i], dele[t, i + 1] = full[t] - f_without, full[t] - f_only, f_without
    return comp, suff, dele


def test_aopc_is_the_mean_of_the_directly_computed_curves(case):
    shipped, generation, scores = case
    figures, _ = faithfulness(shipped.scorer(generation), scores, fractions=FRACTIONS, random_orders=1)
    for name in scores:
        comp, suff, dele = direct_curves(shipped.scorer(generation), scores[name])
        assert np.abs(comp).max() > 0.3 and np.abs(suff).max() > 0.3     # removals that move f
        assert min(abs(comp.mean()), abs(suff.mean())) > 0.01           # means a sum / (K + 1) (×3/4) cannot pass for
        got = figures[name]
        np.testing.assert_allclose(got.comprehensiveness, comp, rtol=1e-5, atol=1e-5 * np.abs(comp).max())
        np.testing.assert_allclose(got.sufficiency, suff, rtol=1e-5, atol=1e-5 * np.abs(suff).max())
        np.testing.assert_allclose(got.deletion_curve, dele.mean(axis=0), rtol=1e-5)
        assert got.aopc_comprehensiveness == pytest.approx(comp.mean(), rel=1e-5)
        assert got.aopc_sufficiency == pytest.approx(suff.mean(), rel=1e-5)
        document = got.to_json()                                          # what the report and the page read
        assert document["aopc_comprehensiveness"] == pytest.approx(comp.mean(), rel=1e-4)
        assert document["aopc_sufficiency"] == pytest.approx(suff.mean(), rel=1e-4)
