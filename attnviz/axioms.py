"""The explainers checked against answers computed another way (``python -m attnviz check``).

Only checks that can fail are reported; identities that hold by construction (attention rows summing to 1,
KernelSHAP's and shap's efficiency) are not. On the text:
* Integrated Gradients: every row meets |δ_t| ≤ max(1% · |gap_t|, 1e-3 nats) (refinement can run out of
  steps), δ_t = Σ_j φ_tj − gap_t recomputed here from the scores and gap_t = f_t(all) − f_t(none) from the
  scorer (not read from the method's own checks), and it equals captum's 2,000-step Gauss-Legendre
  quadrature on the first rows;
* occlusion equals leave-one-out computed one source at a time;
* every shared-pass result equals the library called once per summary token (same seeds and masks; IG
  on captum's own nodes, path_power 1);
* an absent token is invisible: with it absent, putting another word in its place does not change f_t
  (through the ``Scorer`` seam, so it holds for every model family).
On a short source (the text's first ``EXACT_TOKENS`` tokens, summarized on its own), where every coalition
can be enumerated:
* partition_shap equals the exact Owen values of its hierarchy; KernelSHAP with ``KERNEL_SHAP_SAMPLES``
  samples is within ``KERNEL_SHAP_ERROR`` of the exact Shapley values (relative to the largest);
* LIME equals its weighted ridge regression solved in closed form on the same samples.
"Equals" means max |a − b| / max(1 nat, max |b|) ≤ ``equal_limit`` (``difference``): float32 rounding grows
with the size of the numbers compared, so the limit is relative where they exceed 1 nat and 1e-4 nats below.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from attnviz.explain import METHODS, explain, known, reference
from attnviz.explain.base import Attribution
from attnviz.explain.partition import text_clustering
from attnviz.models.scorer import Scorer
from attnviz.types import Generation

ScorerOf = Callable[[Generation], Scorer]     # a model's ``scorer``: Generation → Scorer

EQUAL = 1e-4              # shared pass vs per-token library calls; closed forms (CPU): ``difference`` at most
                          # this; on a 300-token article KernelSHAP against captum per token differed by 1.6e-5
EQUAL_CUDA = 1e-3         # on a GPU, kernels chosen per batch size round differently: on an H100 the check's
                          # occlusion against leave-one-out differed by 2.8e-4 nats (docs/checks.md)
SCALE_FLOOR = 1.0         # nats: below it, ``difference`` is absolute


def equal_limit(scorer: Scorer) -> float:
    """How close two computations of the same numbers must be on the scorer's device (see ``difference``)."""
    return EQUAL_CUDA if scorer.device.type == "cuda" else EQUAL


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(1 nat, max |b|): relative to the numbers compared, absolute where they are small."""
    return _max_diff(a, b) / max(SCALE_FLOOR, float(np.abs(np.asarray(b)).max()))


FINE_STEPS = 2000         # the reference quadrature for IG
FINE_ERROR = 1e-3         # ``difference`` of φ(ours) and φ(2,000 steps)
FINE_ROWS = 2             # rows compared with the fine quadrature unless --rows says otherwise
EXACT_TOKENS = 10         # enumeration: 2^10 coalitions
KERNEL_SHAP_SAMPLES = 4000
KERNEL_SHAP_ERROR = 0.05  # max |φ − φ_exact| / max |φ_exact|
PARTITION_EVALS = 4096    # enough for shap to expand the whole hierarchy of EXACT_TOKENS tokens
IG_GAP_SHARE = 0.01       # IG's completeness: |δ_t| ≤ max(1% · |gap_t|, 1e-3 nats), δ and gap recomputed here
IG_DELTA_FLOOR = 1e-3


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
        return bool(np.isfinite(self.value) and self.value <= self.limit)


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def absent_token_change(scorer_of: ScorerOf, generation: Generation, j: int, replacement_id: int) -> float:
    """``difference`` of f_t over the summary, with token j absent, when its word is replaced by
    ``replacement_id`` (relative to the largest |f_t| above 1 nat): 0 when removal is what the docs say."""
    keep = np.ones((1, len(generation.source_tokens)), dtype=bool)
    keep[0, j] = False
    ids, ext = generation.source_ids.copy(), generation.source_ext_ids.copy()
    ids[j] = ext[j] = replacement_id
    other = replace(generation, source_ids=ids, source_ext_ids=ext)
    return difference(scorer_of(other).score_masks(keep), scorer_of(generation).score_masks(keep))


def completeness(scores: np.ndarray, scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """(δ_t, gap_t) per summary token from the scores alone: δ_t = Σ_j φ_tj − gap_t, gap_t = f_t(all) −
    f_t(none) computed here through the scorer (one call on the two sources)."""
    s = scorer.source_len
    whole, none = scorer.score_masks(np.array([[True] * s, [False] * s]))
    gap = np.asarray(whole, dtype=np.float64) - np.asarray(none, dtype=np.float64)
    return np.asarray(scores, dtype=np.float64).sum(axis=1) - gap, gap


def _ig_checks(ig: Attribution, scorer: Scorer, picked: range) -> list[Check]:
    delta, gap = completeness(ig.scores, scorer)
    ratio = np.abs(delta) / np.maximum(IG_GAP_SHARE * np.abs(gap), IG_DELTA_FLOOR)
    worst = int(np.argmax(ratio))
    steps = ig.checks.get("steps_per_row")
    fine = reference.per_token_integrated_gradients(scorer, picked, n_steps=FINE_STEPS)
    return [
        Check("every row: |δ| / max(1% gap, 1e-3)", "integrated_gradients", float(ratio.max()), 1.0,
              f"row {worst}: δ {delta[worst]:.1e}, gap {gap[worst]:.2f} (δ from the scores, gap from the scorer)"
              + (f", {steps[worst]} steps" if steps is not None else "")),
        Check(f"vs {FINE_STEPS}-step quadrature", "integrated_gradients", difference(ig.scores[picked], fine),
              FINE_ERROR, f"{len(picked)} of {scorer.summary_len} rows"),
    ]


def _reference_checks(results: dict[str, Attribution], scorer: Scorer, picked: range, progress) -> list[Check]:
    """Occlusion against leave-one-out, and every method whose spec names a per-token reference against it
    (rerun at the spec's ``reference_params`` where they differ from the defaults)."""
    progress("leave-one-out, directly")
    loo = difference(results["occlusion"].scores, reference.leave_one_out(scorer))
    checks = [Check("equals leave-one-out", "occlusion", loo, equal_limit(scorer))]
    detail = f"{len(picked)} of {scorer.summary_len} rows"
    for name, spec in METHODS.items():
        if spec.reference is None or name not in results:
            continue
        progress(f"{name}: {spec.reference_label}")
        defaults = spec.defaults()
        params = spec.resolve({k: v for k, v in results[name].params.items() if k in defaults})
        if spec.reference_params is not None:
            params = spec.resolve(spec.reference_params(params))
        ours = results[name] if spec.reference_params is None else spec.run(scorer, **params)
        changed = {k: v for k, v in params.items() if v != defaults[k]} if spec.reference_params else {}
        label = f"equals {spec.reference_label}" + (f" ({', '.join(f'{k} {v}' for k, v in changed.items())})"
                                                     if changed else "")
        checks.append(Check(label, name, difference(ours.scores[picked], spec.reference(scorer, picked, params)),
                            equal_limit(scorer), detail))
    return checks


def exact_checks(scorer_of: ScorerOf, generation: Generation) -> list[Check]:
    """Known answers by enumeration on ``generation`` (at most ``known.MAX_EXACT_TOKENS`` source tokens)."""
    scorer = scorer_of(generation)
    s = scorer.source_len
    values = known.coalition_values(scorer)
    results = explain(scorer, ["lime", "kernel_shap", "partition_shap"],
                      params={"kernel_shap": {"n_samples": KERNEL_SHAP_SAMPLES},
                              "partition_shap": {"max_evals": PARTITION_EVALS}})
    shapley = known.exact_shapley(values, s)
    owen = known.exact_owen(values, text_clustering(generation.source_tokens), s)
    ridge = np.stack([known.lime_by_ridge(scorer, t, **results["lime"].params) for t in range(scorer.summary_len)])
    detail = f"{s} source tokens, {scorer.summary_len} summary tokens, 2^{s} coalitions"
    return [
        Check("equals exact Owen values", "partition_shap", difference(results["partition_shap"].scores, owen),
              equal_limit(scorer), detail),
        Check(f"{KERNEL_SHAP_SAMPLES} samples vs exact Shapley (relative)", "kernel_shap",
              _max_diff(results["kernel_shap"].scores, shapley) / max(np.abs(shapley).max(), 1e-12),
              KERNEL_SHAP_ERROR, detail),
        Check("equals weighted ridge solved directly", "lime", difference(results["lime"].scores, ridge),
              equal_limit(scorer), detail),
    ]


def run_checks(scorer_of: ScorerOf, generation: Generation, *, rows: int | None = None,
               short: Generation | None = None, progress=print) -> tuple[list[Check], dict[str, Attribution]]:
    """Run every method at its defaults on ``generation`` (``scorer_of``: a model's ``scorer``), then each
    check; ``rows`` limits the per-token references to the first ``rows`` summary tokens (default: all; the
    fine quadrature: ``FINE_ROWS``). ``short`` (≤ ``known.MAX_EXACT_TOKENS`` source tokens) adds the checks
    against exact values."""
    scorer = scorer_of(generation)
    results = explain(scorer, "all")
    picked = range(min(rows or scorer.summary_len, scorer.summary_len))
    progress(f"integrated_gradients: {FINE_STEPS}-step quadrature")
    checks = _ig_checks(results["integrated_gradients"], scorer, range(min(rows or FINE_ROWS, scorer.summary_len)))
    checks += _reference_checks(results, scorer, picked, progress)
    other_word = int(generation.source_ids[1 % scorer.source_len])       # another word of the text
    if other_word == int(generation.source_ids[0]):
        other_word = int(generation.summary_ids[0])
    checks.append(Check("absent token: another word there changes f by", "removal",
                        absent_token_change(scorer_of, generation, 0, other_word), equal_limit(scorer), "token 0"))
    if short is not None:
        progress(f"exact Shapley and Owen values by enumeration ({len(short.source_tokens)} tokens)")
        checks += exact_checks(scorer_of, short)
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
    """Summarize ``text`` and its first ``EXACT_TOKENS`` tokens, run every check and print them;
    → True when all passed."""
    start = time.perf_counter()
    generation = summarizer.summarize(text, settings)
    short_text = " ".join(generation.source_tokens[:EXACT_TOKENS])
    short = summarizer.summarize(short_text, replace(settings, min_len=1, max_len=min(settings.max_len, 4)))
    say = (lambda _msg: None) if as_json else (lambda msg: print(f"… {msg}", flush=True))
    checks, _ = run_checks(summarizer.scorer, generation, rows=rows, short=short, progress=say)
    header = (f"model {summarizer.name}: {len(generation.source_tokens)} source tokens, "
              f"{len(generation.summary_tokens)} summary tokens (short source: {len(short.source_tokens)} and "
              f"{len(short.summary_tokens)}), {time.perf_counter() - start:.0f} s")
    print_checks(checks, header, as_json=as_json)
    return all(c.passed for c in checks)
