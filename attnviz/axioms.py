"""The explainers' axioms checked on a real model and text (``python -m attnviz check``).

* attention rows sum to 1;
* Integrated Gradients completeness: |Σ_j φ_tj − (f_t(x) − f_t(x0))| ≤ 1% of |f_t(x) − f_t(x0)| for
  every row at 50 steps (the worst row is reported);
* KernelSHAP and partition_shap efficiency: each row sums to f_t(x) − f_t(∅) within 1e-4;
* occlusion equals leave-one-out computed directly;
* every shared-pass result equals the library called once per summary token (same seeds and masks)
  within 1e-5.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from attnviz.explain import explain
from attnviz.explain.base import Attribution, ForcedScorer
from attnviz.explain import reference
from attnviz.model import PointerGenerator
from attnviz.types import Generation

EQUAL = 1e-5          # shared pass vs per-token library calls
EFFICIENCY = 1e-4     # Shapley values add up to f(x) − f(∅)
COMPLETENESS = 0.01   # IG: relative to |f(x) − f(baseline)|


@dataclass
class Check:
    """One verdict: ``value`` compared with ``limit`` (smaller is better)."""

    name: str
    method: str
    value: float
    limit: float
    detail: str = ""

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.value)) and self.value <= self.limit


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def run_checks(model: PointerGenerator, generation: Generation, *, rows: int | None = None,
               progress=print) -> tuple[list[Check], dict[str, Attribution]]:
    """Run every method at its defaults, then each check; ``rows`` limits the per-token library
    references to the first ``rows`` summary tokens (default: all)."""
    results = explain(model, generation, "all")
    scorer = ForcedScorer(model, generation)
    picked = range(min(rows or scorer.summary_len, scorer.summary_len))
    ig = results["integrated_gradients"]
    checks = [
        Check("rows sum to 1", "attention", _max_diff(results["attention"].scores.sum(axis=1), 1.0), EQUAL),
        Check("completeness, worst row (relative)", "integrated_gradients", ig.checks["worst_relative_delta"],
              COMPLETENESS, f"row {ig.checks['worst_row']}, {ig.checks['steps_per_row'][ig.checks['worst_row']]} "
                            f"steps; {ig.checks['worst_relative_delta_at_n_steps']:.2%} at {ig.params['n_steps']} "
                            f"before refining {ig.checks['rows_refined']} row(s)"),
        Check("efficiency (max abs error)", "kernel_shap", results["kernel_shap"].checks["efficiency_max_abs_error"],
              EFFICIENCY),
        Check("efficiency (max abs error)", "partition_shap",
              results["partition_shap"].checks["efficiency_max_abs_error"], EFFICIENCY),
    ]
    progress("leave-one-out, directly")
    checks.append(Check("equals leave-one-out", "occlusion",
                        _max_diff(results["occlusion"].scores, reference.leave_one_out(scorer)), EQUAL))
    detail = f"{len(picked)} of {scorer.summary_len} rows"
    for name in reference.PRESENCE_METHODS:
        progress(f"{name}: captum once per summary token")
        expected = reference.per_token_presence(name, scorer, picked)
        checks.append(Check("equals captum per token", name, _max_diff(results[name].scores[picked], expected),
                            EQUAL, detail))
    progress("integrated_gradients: captum LayerIntegratedGradients once per summary token")
    expected = reference.per_token_integrated_gradients(scorer, picked, n_steps=ig.checks["steps_per_row"])
    checks.append(Check("equals captum per token", "integrated_gradients", _max_diff(ig.scores[picked], expected),
                        EQUAL, detail))
    for name in ("input_x_gradient", "saliency"):
        expected = reference.per_token_gradient(name, scorer, picked)
        checks.append(Check("equals captum per token", name, _max_diff(results[name].scores[picked], expected),
                            EQUAL, detail))
    return checks, results


def print_checks(checks: list[Check], header: str, *, as_json: bool = False) -> None:
    """A table (or one JSON object) of the checks and whether each passed."""
    if as_json:
        print(json.dumps({"header": header, "passed": all(c.passed for c in checks),
                          "checks": [{**asdict(c), "passed": c.passed} for c in checks]}))
        return
    print(header)
    print(f"{'method':22s} {'check':36s} {'value':>10s} {'limit':>8s}  verdict")
    for c in checks:
        verdict = "pass" if c.passed else "FAIL"
        print(f"{c.method:22s} {c.name:36s} {c.value:10.2e} {c.limit:8.0e}  {verdict}  {c.detail}")
    print(f"{sum(c.passed for c in checks)} of {len(checks)} checks passed")


def check_model(summarizer: Any, text: str, settings: Any, *, rows: int | None = None,
                as_json: bool = False) -> bool:
    """Summarize ``text``, run every check and print them; → True when all passed."""
    start = time.perf_counter()
    generation = summarizer.summarize(text, settings)
    say = (lambda _msg: None) if as_json else (lambda msg: print(f"… {msg}", flush=True))
    checks, _ = run_checks(summarizer.model, generation, rows=rows, progress=say)
    header = (f"model {summarizer.name}: {len(generation.source_tokens)} source tokens, "
              f"{len(generation.summary_tokens)} summary tokens, {time.perf_counter() - start:.0f} s")
    print_checks(checks, header, as_json=as_json)
    return all(c.passed for c in checks)
