"""The axiom check (``python -m attnviz check``) and its references, on a tiny seeded model."""
import json
import random

import numpy as np
import pytest

from attnviz.axioms import Check, run_checks
from attnviz.cli import main
from attnviz.decoding import DecodingSettings
from attnviz.explain import METHODS, ForcedScorer
from attnviz.explain import reference
from attnviz.pipeline import Summarizer
from tests.conftest import make_model, random_text
from tests.test_cli import TEXT, model_dir  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def case():
    from attnviz.tokenizer import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=4, coverage=True)
    text = random_text(random.Random(2), 12, oov_rate=0.2)
    return model, Summarizer(model, vocab).summarize(text, DecodingSettings(beam_size=2, min_len=3, max_len=4))


def test_leave_one_out_reference_is_occlusion(case):
    model, generation = case
    scorer = ForcedScorer(model, generation)
    loo = reference.leave_one_out(scorer)
    assert loo.shape == generation.attention.shape
    np.testing.assert_allclose(METHODS["occlusion"](scorer, generation).scores, loo, atol=1e-5)


def test_every_check_passes_on_a_tiny_model(case):
    model, generation = case
    checks, results = run_checks(model, generation, rows=2, progress=lambda _m: None)
    names = {(c.method, c.name) for c in checks}
    assert ("integrated_gradients", "completeness, worst row (relative)") in names
    assert {c.method for c in checks if c.name == "equals captum per token"} == {
        "lime", "kernel_shap", "occlusion", "integrated_gradients", "input_x_gradient", "saliency"}
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert set(results) == set(METHODS)


def test_a_check_fails_on_a_large_or_non_finite_value():
    assert not Check("x", "m", 0.02, 0.01).passed
    assert not Check("x", "m", float("nan"), 0.01).passed
    assert Check("x", "m", 0.01, 0.01).passed


def test_check_command_prints_json_and_exit_status(model_dir, capsys, monkeypatch):  # noqa: F811
    import attnviz.axioms as axioms

    assert main(["check", "--text", TEXT, "--model", model_dir, "--beam", "1", "--max-len", "3",
                 "--rows", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and len(out["checks"]) == 11
    monkeypatch.setattr(axioms, "COMPLETENESS", -1.0)                    # impossible: the check must fail
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--text", TEXT, "--model", model_dir, "--beam", "1", "--max-len", "3", "--rows", "1"])
    assert exit_info.value.code == 1
    assert "FAIL" in capsys.readouterr().out
