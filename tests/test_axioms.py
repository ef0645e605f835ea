"""The axiom check (``python -m attnviz check``) and its references, on a tiny seeded model."""
import dataclasses
import json
import random
from functools import partial

import numpy as np
import pytest

from attnviz.axioms import (EQUAL, Check, _ig_checks, absent_token_change, completeness, difference, exact_checks,
                            run_checks)
from attnviz.cli import main
from attnviz.explain import METHODS, reference
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.summarizer import PointerSummarizer
from tests.conftest import absent_token_effects, make_model, random_text
from tests.test_cli import TEXT, model_dir  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def case():
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=4, coverage=True)
    text = random_text(random.Random(2), 12, oov_rate=0.2)
    return model, PointerSummarizer(model, vocab).summarize(text, DecodingSettings(beam_size=2, min_len=3, max_len=4))


@pytest.fixture(scope="module")
def short_case(case):
    """The same model on the first 8 source tokens, where coalitions can be enumerated → (model, generation)."""
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    model, generation = case
    short = PointerSummarizer(model, Vocabulary(list(SPECIALS) + WORDS)).summarize(
        " ".join(generation.source_tokens[:8]), DecodingSettings(beam_size=1, min_len=2, max_len=3))
    return model, short




def test_leave_one_out_reference_is_occlusion(case):
    model, generation = case
    scorer = PointerScorer(model, generation)
    loo = reference.leave_one_out(scorer)
    assert loo.shape == generation.attention.shape
    np.testing.assert_allclose(METHODS["occlusion"](scorer).scores, loo, atol=1e-5)


def test_every_check_passes_on_a_tiny_model(case, short_case):
    model, generation = case
    checks, results = run_checks(partial(PointerScorer, model), generation, rows=2, short=short_case[1],
                                 progress=lambda _m: None)
    names = {(c.method, c.name) for c in checks}
    assert ("partition_shap", "equals exact Owen values") in names
    assert ("lime", "equals weighted ridge solved directly") in names
    assert {c.method for c in checks if c.name.startswith("equals captum per token")} == {
        "lime", "kernel_shap", "occlusion", "integrated_gradients", "input_x_gradient", "saliency"}
    assert not any("efficiency" in c.name or "sum to 1" in c.name for c in checks)   # they cannot fail
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert set(results) == set(METHODS)


def test_the_exact_checks_fail_when_an_estimator_is_wrong(short_case, monkeypatch):
    """Shift partition_shap by a constant per token, keeping each row's sum: only the exact check sees it."""
    import attnviz.explain as explain_module

    model, short = short_case
    original = explain_module.METHODS["partition_shap"]

    def shifted(scorer, **params):
        result = original.run(scorer, **params)
        result.scores[:, 0] += 0.1
        result.scores[:, 1] -= 0.1
        return result

    monkeypatch.setitem(explain_module.METHODS, "partition_shap", dataclasses.replace(original, run=shifted))
    verdicts = {(c.method, c.name): c.passed for c in exact_checks(partial(PointerScorer, model), short)}
    assert not verdicts[("partition_shap", "equals exact Owen values")]
    assert verdicts[("lime", "equals weighted ridge solved directly")]


def test_an_absent_token_is_invisible(case):
    model, generation = case
    change, weight = absent_token_effects(PointerScorer(model, generation), 1, 7)
    assert change == 0 and weight == 0
    assert absent_token_change(partial(PointerScorer, model), generation, 1, 7) == 0


def test_the_removal_check_fails_when_an_absent_token_leaks(case, monkeypatch):
    """A scorer that ignores the presence mask: the generic check sees the word put in the absent place."""
    model, generation = case

    class Leaky(PointerScorer):
        def score_masks(self, keep):
            return super().score_masks(np.ones_like(keep))
    assert absent_token_change(partial(Leaky, model), generation, 1, 7) > 1e-3


def test_the_ig_row_check_recomputes_delta_from_the_scores(case):
    """IG's completeness is judged on its scores and a gap computed through the scorer, not on what the method
    reports: scores that lose 5% of a row fail even when the method's own checks say every row converged."""
    model, generation = case
    scorer = PointerScorer(model, generation)
    ig = METHODS["integrated_gradients"](scorer)
    delta, gap = completeness(ig.scores, scorer)
    assert np.abs(gap).max() > 0.1                                                # the model reads its source
    np.testing.assert_allclose(delta, np.asarray(ig.checks["convergence_delta"]), atol=1e-5)
    rows = _ig_checks(ig, scorer, range(1))[0]
    assert rows.passed and rows.value <= 1.0
    worst = int(np.argmax(np.abs(gap)))
    ig.scores[worst] *= 0.95                                                      # 5% of the largest row's gap lost
    assert ig.checks["all_rows_converged"] and ig.checks["worst_delta_over_allowed"] <= 1.0    # what it claims
    assert not _ig_checks(ig, scorer, range(1))[0].passed


def test_equality_is_relative_above_one_nat_and_absolute_below():
    ones = np.ones(3)
    assert difference(ones * 100 + 1e-3, ones * 100) == pytest.approx(1e-5)         # float32 on large numbers
    assert difference(ones * 0.01 + 1e-3, ones * 0.01) == pytest.approx(1e-3)      # small numbers: nats
    assert Check("x", "m", difference(ones * 300 * (1 + 5e-5), ones * 300), EQUAL).passed
    assert not Check("x", "m", difference(ones * 0.3 + 2e-4, ones * 0.3), EQUAL).passed


def test_a_check_fails_on_a_large_or_non_finite_value():
    assert not Check("x", "m", 0.02, 0.01).passed
    assert not Check("x", "m", float("nan"), 0.01).passed
    assert Check("x", "m", 0.01, 0.01).passed


def test_check_command_prints_json_and_exit_status(model_dir, capsys, monkeypatch):  # noqa: F811
    import attnviz.axioms as axioms

    assert main(["check", "--text", TEXT, "--model", model_dir, "--beam", "1", "--max-len", "3",
                 "--rows", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and len(out["checks"]) == 13
    monkeypatch.setattr(axioms, "FINE_ERROR", -1.0)                      # impossible: the check must fail
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--text", TEXT, "--model", model_dir, "--beam", "1", "--max-len", "3", "--rows", "1"])
    assert exit_info.value.code == 1
    assert "FAIL" in capsys.readouterr().out
