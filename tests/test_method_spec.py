"""A method added through its spec alone reaches the registry, the cost estimate, the page's sidebar and
``check``; and a spec checks every parameter before anything runs."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz.errors import InputError
from attnviz.explain import METHODS, MethodSpec, Param, explain, register, unregister
from attnviz.explain.base import Stopwatch
from attnviz.explain.cost import estimate

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TOY = "smoothed_occlusion"


def smoothed_occlusion(scorer, *, width: int = 3):
    """Occlusion with each row averaged over a window of ``width`` neighbouring source tokens."""
    watch = Stopwatch(scorer)
    s = scorer.source_len
    keep = np.ones((s + 1, s), dtype=bool)
    keep[np.arange(1, s + 1), np.arange(s)] = False
    out = scorer.score_masks(keep)                                        # (S + 1, T)
    drops = (out[:1] - out[1:]).T                                         # (T, S)
    return watch.finish(TOY, _smooth(drops, width), {"width": width})


def _smooth(rows: np.ndarray, width: int) -> np.ndarray:
    kernel = np.ones(width) / width
    return np.stack([np.convolve(r, kernel, mode="same") for r in rows])


def _reference(scorer, rows, params):
    """Leave-one-out one source at a time, then the same smoothing."""
    from attnviz.explain import reference

    return _smooth(reference.leave_one_out(scorer)[list(rows)], params["width"])


SPEC = MethodSpec(TOY, smoothed_occlusion, cost=lambda s, t, p: (s + 1, 0, "exact"),
                  params=(Param("width", 3, "Smoothing width", low=1, high=9, budget=True),),
                  reference=_reference, reference_label="leave-one-out, smoothed",
                  summary="occlusion averaged over neighbouring tokens")


@pytest.fixture
def toy():
    register(SPEC)
    yield SPEC
    unregister(TOY)


def test_the_toy_method_is_in_the_registry_and_the_cost_estimate(toy, copy_summarizer):
    generation = copy_summarizer.summarize("w1 w2 w3 w4 w5 w6 w7 w8")
    results = explain(copy_summarizer.scorer(generation), "all", params={TOY: {"width": 1}})
    assert list(results)[-1] == TOY
    np.testing.assert_allclose(results[TOY].scores, results["occlusion"].scores, atol=1e-6)   # width 1: occlusion
    s, t = generation.attention.shape[1], generation.attention.shape[0]
    (cost,) = estimate([TOY], {TOY: {"width": 5}}, s, t, per_forward_s=0.01, per_backward_s=1.0)
    assert (cost.forward_passes, cost.backward_passes, cost.bound) == (s + 1, 0, "exact")
    assert math.isclose(cost.seconds, (s + 1) * 0.01)
    assert results[TOY].forward_passes == s + 1


def test_the_toy_method_is_in_check(toy, copy_summarizer):
    from attnviz.axioms import run_checks

    generation = copy_summarizer.summarize("w1 w2 w3 w4 w5 w6 w7 w8")
    checks, _ = run_checks(copy_summarizer.scorer, generation, rows=1, progress=lambda _m: None)
    (mine,) = [c for c in checks if c.method == TOY]
    assert mine.name == "equals leave-one-out, smoothed" and mine.passed


def test_the_toy_method_is_in_the_sidebar(toy):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert TOY in at.sidebar.multiselect[0].options
    at.sidebar.multiselect[0].set_value([TOY])
    at.run()
    width = next(n for n in at.sidebar.text_input if n.label.startswith("Smoothing width"))
    assert (width.label, width.value) == ("Smoothing width (1–9)", "3")
    at.text_area(key="text").input("The minister resigned on Monday after the vote on the budget failed.")
    at.button[0].click()
    at.run()
    next(b for b in at.button if b.label.startswith("Explain with 1 method")).click()
    at.run()
    assert not at.exception and not at.error
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert TOY in titles


@pytest.mark.parametrize("given, message", [
    ({"n_samples": float("nan")}, "lime: n_samples must be an integer"),
    ({"n_samples": 10**9}, "lime: n_samples must be at most 20000"),
    ({"n_samples": 1}, "lime: n_samples must be at least 2"),
    ({"seed": "7"}, "lime: seed must be an integer"),
    ({"samples": 5}, "lime has no parameter 'samples'; it takes: n_samples, seed")])
def test_a_spec_checks_every_parameter(given, message):
    with pytest.raises(InputError, match=message):
        METHODS["lime"].resolve(given)


def test_float_and_choice_parameters_are_checked():
    ig = METHODS["integrated_gradients"]
    assert ig.resolve({"tolerance": 0})["tolerance"] == 0.0
    with pytest.raises(InputError, match="tolerance must be a finite number"):
        ig.resolve({"tolerance": float("inf")})
    with pytest.raises(InputError, match="method must be one of gausslegendre"):
        ig.resolve({"method": "simpson"})


def test_register_refuses_a_taken_or_odd_name():
    with pytest.raises(ValueError, match="cannot register"):
        register(METHODS["lime"])
    with pytest.raises(ValueError, match="cannot register"):
        register(MethodSpec("Not Snake", smoothed_occlusion, cost=lambda s, t, p: (0, 0, "exact")))
