"""Explanation benchmark: our shared-pass explainers against straightforward per-token captum calls.

On the shipped model, a 300-token news article and its beam-4 summary forced to 16 tokens (T = 16), side
by side in one run, medians over ``repeats`` rounds; in every round ours, the floor and captum run in
turn, after one warm-up of each side:

* lime, kernel_shap, occlusion: ours vs captum called once per summary token with the same budget and
  seed and an uncached forward (ratio baseline/ours), and vs the floor, the same number of raw batched
  forward passes (ratio ours/floor); ours' time is split into model forwards and everything else;
* integrated_gradients: ours vs captum's IntegratedGradients on the presence gates looped over targets,
  both at the default steps on captum's nodes;
* every registered method through ``explain(..., "all")`` at its defaults (the headline): total and
  per-method seconds, and whether every IG row met its convergence rule;
* ``peak_rss_mb``: peak RSS of a fresh subprocess running every method on a 1000-token input.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnviz.bench import bench_article
from attnviz.decoding import DecodingSettings
from attnviz.explain import METHODS, ForcedScorer, explain, method_parameters
from attnviz.explain.reference import PRESENCE_METHODS as PERTURBATION
from attnviz.explain.reference import per_token_integrated_gradients, per_token_presence
from attnviz.pipeline import Summarizer
from attnviz.types import Generation

SOURCE_TOKENS = 300
SUMMARY_TOKENS = 16
SEED = 0
TARGETS = {"perturbation_speedup": 8.0, "floor_overhead": 1.3, "ig_speedup": 2.0, "all_seconds": 20.0,
           "rss_mb": 3072.0}


# ---------------------------------------------------------------- setup and timing helpers

def _setup(model: str | None, tokens: int, summary_tokens: int = SUMMARY_TOKENS) -> tuple[Summarizer, Generation, str]:
    """The shipped (or given) model on CPU, its source limit set to ``tokens``, and the beam-4 summary,
    forced to ``summary_tokens`` tokens, of a news article of at least ``tokens`` tokens cut to ``tokens``."""
    summarizer = Summarizer.from_checkpoint(model, device="cpu", max_source_tokens=tokens)
    text, origin = bench_article(tokens)
    settings = DecodingSettings(beam_size=4, min_len=summary_tokens, max_len=summary_tokens)
    return summarizer, summarizer.summarize(text, settings), origin


def _clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


class _ModelTimer:
    """Wraps ``scorer.score_keep`` on one scorer instance to add up the seconds spent in model forwards."""

    def __init__(self, scorer: ForcedScorer) -> None:
        self.seconds = 0.0
        self._inner = scorer.score_keep
        scorer.score_keep = self  # instance attribute shadows the method; the explainers call it as usual

    def __call__(self, keep: torch.Tensor | np.ndarray) -> torch.Tensor:
        start = time.perf_counter()
        try:
            return self._inner(keep)
        finally:
            self.seconds += time.perf_counter() - start


# ---------------------------------------------------------------- the two sides

def _ours(name: str, model: torch.nn.Module, generation: Generation) -> tuple[float, float, Any]:
    """Our method at default budgets on a fresh scorer → (seconds, seconds in model forwards, Attribution)."""
    scorer = ForcedScorer(model, generation)
    timer = _ModelTimer(scorer)
    seconds, attribution = _clock(lambda: METHODS[name](scorer, generation))
    return seconds, timer.seconds, attribution


def _floor(scorer: ForcedScorer, passes: int) -> float:
    """Seconds for ``passes`` raw forward passes on random masks, in ``scorer.batch_size`` batches."""
    keep = torch.rand(passes, scorer.source_len, generator=torch.Generator().manual_seed(SEED)) > 0.5
    return _clock(lambda: scorer.score_keep(keep))[0]


# ---------------------------------------------------------------- the measurements

def _bench_perturbation(name: str, model: torch.nn.Module, generation: Generation, repeats: int) -> dict:
    """Ours vs per-token captum vs the floor for one perturbation method (medians, ratios)."""
    scorer = ForcedScorer(model, generation)
    _ours(name, model, generation)                                        # warm-ups: one of each side
    per_token_presence(name, scorer, range(1), seed=SEED)
    ours, model_s, base, floor, attribution, reference = [], [], [], [], None, None
    for _ in range(repeats):
        seconds, in_model, attribution = _ours(name, model, generation)
        ours.append(seconds)
        model_s.append(in_model)
        floor.append(_floor(scorer, attribution.forward_passes))
        seconds, reference = _clock(lambda: per_token_presence(name, scorer, range(scorer.summary_len), seed=SEED))
        base.append(seconds)
    out = {"ours_s": _median(ours), "ours_model_s": _median(model_s), "baseline_s": _median(base),
           "floor_s": _median(floor), "forward_passes": attribution.forward_passes,
           "baseline_forward_passes": _baseline_passes(name, scorer),
           "max_abs_diff": float(np.abs(attribution.scores - reference).max())}
    out["ours_other_s"] = round(out["ours_s"] - out["ours_model_s"], 4)
    out["speedup"] = round(out["baseline_s"] / out["ours_s"], 2)
    out["floor_overhead"] = round(out["ours_s"] / out["floor_s"], 3)
    return out


def _baseline_passes(name: str, scorer: ForcedScorer) -> int:
    """Forward passes of the per-token baseline: T × (samples, or S + 1 for occlusion)."""
    per_row = scorer.source_len + 1 if name == "occlusion" else method_parameters(name)["n_samples"]
    return scorer.summary_len * per_row


def _bench_ig(model: torch.nn.Module, generation: Generation, repeats: int) -> dict:
    """Our integrated gradients vs captum's IntegratedGradients on the presence gates, once per target,
    both at the default step count on captum's own nodes (path_power 1) and without refinement."""
    scorer = ForcedScorer(model, generation)
    steps = method_parameters("integrated_gradients")["n_steps"]

    def run() -> Any:
        return METHODS["integrated_gradients"](ForcedScorer(model, generation), generation, n_steps=steps,
                                               max_steps=steps, path_power=1)
    run()                                                                 # warm-ups: one of each side
    per_token_integrated_gradients(scorer, range(1), n_steps=steps)
    ours, base, attribution, reference = [], [], None, None
    for _ in range(repeats):
        seconds, attribution = _clock(run)
        ours.append(seconds)
        seconds, reference = _clock(
            lambda: per_token_integrated_gradients(scorer, range(scorer.summary_len), n_steps=steps))
        base.append(seconds)
    out = {"ours_s": _median(ours), "baseline_s": _median(base), "n_steps": steps,
           "forward_passes": attribution.forward_passes, "backward_passes": attribution.backward_passes,
           "max_abs_diff": float(np.abs(attribution.scores - reference).max())}
    out["speedup"] = round(out["baseline_s"] / out["ours_s"], 2)
    return out


def _bench_all(model: torch.nn.Module, generation: Generation, repeats: int) -> dict:
    """Every registered method at default budgets through ``explain(..., "all")``: medians per method, and
    whether every IG row met its convergence rule in every round."""
    explain(model, generation, "all")                                     # warm-up
    totals, runs = [], []
    for _ in range(repeats):
        seconds, results = _clock(lambda: explain(model, generation, "all"))
        totals.append(seconds)
        runs.append(results)
    methods = {name: {"seconds": _median([r[name].seconds for r in runs]),
                      "forward_passes": runs[-1][name].forward_passes,
                      "backward_passes": runs[-1][name].backward_passes} for name in runs[-1]}
    ig = [r["integrated_gradients"].checks for r in runs]
    return {"total_s": _median(totals), "totals_s": [round(x, 2) for x in totals], "methods": methods,
            "ig_all_rows_converged": all(c["all_rows_converged"] for c in ig),
            "ig_rows_refined": ig[-1]["rows_refined"], "ig_steps_per_row": ig[-1]["steps_per_row"],
            "ig_worst_delta_over_allowed": max(c["worst_delta_over_allowed"] for c in ig)}


# ---------------------------------------------------------------- peak memory in a fresh process

_RSS_CHILD = """
import json, sys, time
from attnviz.bench_explain import _setup
from attnviz.explain import explain
model = sys.argv[1] or None
summarizer, generation, origin = _setup(model, int(sys.argv[2]))
def status_kib(field):
    try:
        return int(next(l for l in open("/proc/self/status") if l.startswith(field + ":")).split()[1])
    except (OSError, StopIteration):
        return -1
loaded = status_kib("VmHWM")
start = time.perf_counter()
results = explain(summarizer.model, generation, "all")
print(json.dumps({"explain_s": time.perf_counter() - start, "loaded_rss_kib": loaded,
                  "vmhwm_kib": status_kib("VmHWM"),
                  "source_tokens": len(generation.source_tokens), "summary_tokens": len(generation.summary_tokens),
                  "methods": {name: round(a.seconds, 3) for name, a in results.items()}}))
"""


def peak_rss_mb(tokens: int = 1000, *, model: str | None = None) -> dict:
    """Run every registered method at default budgets on a ``tokens``-token input in a fresh subprocess;
    → its peak RSS (getrusage RUSAGE_CHILDREN, KiB on Linux) in MB and its seconds.

    Linux keeps ru_maxrss across execve, and subprocess spawns with vfork, so RUSAGE_CHILDREN is at least
    this (parent) process's own peak at spawn time; ``child_vmhwm_mb`` (the child's /proc VmHWM, which
    starts afresh at exec) is the child's own peak, and ``parent_peak_mb`` shows what may be inherited."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, proc = _clock(lambda: subprocess.run([sys.executable, "-c", _RSS_CHILD, model or "", str(tokens)],
                                                  capture_output=True, text=True, env=env, check=False))
    if proc.returncode != 0:
        raise RuntimeError(f"peak_rss_mb subprocess failed:\n{proc.stderr[-2000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"tokens": tokens, "source_tokens": child["source_tokens"], "summary_tokens": child["summary_tokens"],
            "peak_rss_mb": round(peak / 1024, 1), "loaded_peak_rss_mb": round(child["loaded_rss_kib"] / 1024, 1),
            "child_vmhwm_mb": round(child["vmhwm_kib"] / 1024, 1), "parent_peak_mb": round(parent / 1024, 1),
            "earlier_children_peak_mb": round(before / 1024, 1), "seconds": round(seconds, 2),
            "explain_s": round(child["explain_s"], 2), "methods_s": child["methods"]}


# ---------------------------------------------------------------- entry points

def run_explain_bench(model: str | None = None, *, tokens: int = SOURCE_TOKENS, repeats: int = 3) -> dict:
    """Measure ours vs the per-token captum baselines, the floor, and all methods; medians over ``repeats``."""
    summarizer, generation, origin = _setup(model, tokens)
    net = summarizer.model
    start = time.perf_counter()
    results: dict[str, Any] = {
        "model": summarizer.name, "threads": torch.get_num_threads(), "input": origin,
        "source_tokens": len(generation.source_tokens), "summary_tokens": len(generation.summary_tokens),
        "batch_size": ForcedScorer(net, generation).batch_size, "repeats": repeats,
        "targets": TARGETS, "loadavg_start": os.getloadavg()[0],
        "all": _bench_all(net, generation, repeats),
        "perturbation": {name: _bench_perturbation(name, net, generation, repeats) for name in PERTURBATION},
        "integrated_gradients": _bench_ig(net, generation, repeats)}
    results["bench_s"] = round(time.perf_counter() - start, 1)
    results["loadavg_end"] = os.getloadavg()[0]
    return results


def _verdicts(results: dict) -> dict[str, bool]:
    """Which targets are met."""
    out = {}
    for name, r in results["perturbation"].items():
        out[f"{name}_speedup"] = r["speedup"] >= TARGETS["perturbation_speedup"]
        out[f"{name}_floor"] = r["floor_overhead"] <= TARGETS["floor_overhead"]
    ig = results["integrated_gradients"]
    out["ig_speedup"] = ig["speedup"] >= TARGETS["ig_speedup"]
    out["all_seconds"] = results["all"]["total_s"] <= TARGETS["all_seconds"]
    out["ig_rows_converged"] = results["all"]["ig_all_rows_converged"]
    out["attention_no_forward"] = results["all"]["methods"].get("attention", {}).get("forward_passes") == 0
    if "rss" in results:
        out["rss"] = results["rss"]["peak_rss_mb"] <= TARGETS["rss_mb"]
    return out


def print_explain_bench(results: dict) -> None:
    """A table of the measurements and targets, then the results as one JSON line."""
    results["met"] = _verdicts(results)
    print(f"model {results['model']} on cpu ({results['threads']} threads), {results['source_tokens']}-token input "
          f"from {results['input']}, T={results['summary_tokens']}, batch {results['batch_size']}, medians of "
          f"{results['repeats']} (each side every round), load average "
          f"{results['loadavg_start']:.1f} → {results['loadavg_end']:.1f}, {results['bench_s']:.0f} s")
    every = results["all"]
    print(f"explain(all) at default budgets: {every['total_s']:.2f} s (runs {every['totals_s']}); every IG row "
          f"converged: {every['ig_all_rows_converged']} ({every['ig_rows_refined']} refined, worst |δ|/allowed "
          f"{every['ig_worst_delta_over_allowed']:.2f})")
    print(f"{'method':22s} {'seconds':>8s} {'forward':>8s} {'backward':>9s}")
    for n, m in every["methods"].items():
        print(f"{n:22s} {m['seconds']:8.2f} {m['forward_passes']:8d} {m['backward_passes']:9d}")
    print(f"\n{'method':22s} {'ours s':>7s} {'model s':>8s} {'other s':>8s} {'captum s':>9s} {'speedup':>8s} "
          f"{'floor s':>8s} {'ours/floor':>10s} {'passes':>7s} {'captum passes':>13s} {'max|diff|':>9s}")
    for name, r in results["perturbation"].items():
        print(f"{name:22s} {r['ours_s']:7.2f} {r['ours_model_s']:8.2f} {r['ours_other_s']:8.2f} "
              f"{r['baseline_s']:9.2f} {r['speedup']:7.1f}x {r['floor_s']:8.2f} {r['floor_overhead']:9.2f}x "
              f"{r['forward_passes']:7d} {r['baseline_forward_passes']:13d} {r['max_abs_diff']:9.1e}")
    ig = results["integrated_gradients"]
    print(f"{'integrated_gradients':22s} {ig['ours_s']:7.2f} {'':8s} {'':8s} {ig['baseline_s']:9.2f} "
          f"{ig['speedup']:7.1f}x {'':8s} {'':10s} {ig['forward_passes']:7d} {'':13s} {ig['max_abs_diff']:9.1e}")
    if "rss" in results:
        rss = results["rss"]
        print(f"peak RSS, all methods on a {rss['tokens']}-token input ({rss['source_tokens']} kept): "
              f"{rss['peak_rss_mb']:.0f} MB by RUSAGE_CHILDREN (child's own VmHWM {rss['child_vmhwm_mb']:.0f} MB, "
              f"{rss['loaded_peak_rss_mb']:.0f} MB after loading; this process's peak {rss['parent_peak_mb']:.0f} MB), "
              f"{rss['seconds']:.1f} s")
    print("targets: " + "  ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in results["met"].items()))
    print(json.dumps(results))
