"""Explanation benchmark: our shared-pass explainers against straightforward per-token captum calls.

    python benchmarks/explain.py [--tokens 300] [--repeats 3] [--model M]      (about 10 minutes)
    python benchmarks/explain.py --tokens 30 --summary-tokens 3 --repeats 1 --rss-tokens 40   (the tests' small mode)

On the shipped model, a 300-token news article and its beam-4 summary forced to 16 tokens (T = 16), side
by side in one run, medians over ``--repeats`` rounds; in every round ours, the floor and captum run in
turn, after one warm-up of each side:

* lime, kernel_shap, occlusion: ours vs captum called once per summary token with the same budget and
  seed and an uncached forward (ratio baseline/ours), and vs the floor, the same number of raw batched
  forward passes (ratio ours/floor); ours' time is split into model forwards (the scorer's
  ``forward_seconds``) and everything else;
* integrated_gradients: ours vs captum's IntegratedGradients on the presence gates looped over targets,
  both at the default steps on captum's nodes;
* every registered method through ``explain(..., "all")`` at its defaults (the headline): total and
  per-method seconds, and whether every IG row met its convergence rule;
* peak RSS of a fresh subprocess (``python benchmarks/explain.py --rss-child 1000``) running every method
  on a 1000-token input (``--rss-tokens``).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from attnviz.explain import METHODS, explain  # noqa: E402
from attnviz.explain.reference import (  # noqa: E402
    PRESENCE_METHODS,
    per_token_integrated_gradients,
    per_token_presence,
)
from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402
from attnviz.models.scorer import Scorer  # noqa: E402
from attnviz.types import Attribution, Generation  # noqa: E402
from benchmarks.common import SUMMARY_TOKENS, clock, median, setup  # noqa: E402

SOURCE_TOKENS = 300
RSS_TOKENS = 1000
SEED = 0
TARGETS = {"perturbation_speedup": 8.0, "floor_overhead": 1.3, "ig_speedup": 2.0, "all_seconds": 20.0,
           "rss_mb": 3072.0}


# ---------------------------------------------------------------- the two sides

def ours(name: str, summarizer: PointerSummarizer, generation: Generation) -> tuple[float, float, Attribution]:
    """Our method at its defaults on a fresh scorer → (seconds, seconds in model forwards, Attribution)."""
    scorer = summarizer.scorer(generation)
    seconds, attribution = clock(lambda: METHODS[name](scorer))
    return seconds, scorer.forward_seconds, attribution


def floor_seconds(scorer: Scorer, passes: int) -> float:
    """Seconds for ``passes`` raw forward passes on random masks, in ``scorer.batch_size`` batches."""
    keep = torch.rand(passes, scorer.source_len, generator=torch.Generator().manual_seed(SEED)) > 0.5
    return clock(lambda: scorer.score_keep(keep))[0]


def baseline_passes(name: str, source_len: int, summary_len: int) -> int:
    """Forward passes of the per-token baseline: T × the method's passes for one summary token."""
    return summary_len * METHODS[name].passes(source_len, 1)[0]


# ---------------------------------------------------------------- the measurements

def bench_perturbation(name: str, summarizer: PointerSummarizer, generation: Generation, repeats: int) -> dict[str, Any]:
    """Ours vs per-token captum vs the floor for one perturbation method (medians, ratios)."""
    scorer = summarizer.scorer(generation)
    n_samples = METHODS[name].defaults().get("n_samples")

    def baseline(rows: range) -> np.ndarray:
        return per_token_presence(name, scorer, rows, seed=SEED, n_samples=n_samples)

    ours(name, summarizer, generation)                                    # warm-ups: one of each side
    baseline(range(1))
    ours_s, model_s, base, floor, attribution, reference = [], [], [], [], None, None
    for _ in range(repeats):
        seconds, in_model, attribution = ours(name, summarizer, generation)
        ours_s.append(seconds)
        model_s.append(in_model)
        floor.append(floor_seconds(scorer, attribution.forward_passes))
        seconds, reference = clock(lambda: baseline(range(scorer.summary_len)))
        base.append(seconds)
    out = {"ours_s": median(ours_s), "ours_model_s": median(model_s), "baseline_s": median(base),
           "floor_s": median(floor), "forward_passes": attribution.forward_passes,
           "baseline_forward_passes": baseline_passes(name, scorer.source_len, scorer.summary_len),
           "max_abs_diff": float(np.abs(attribution.scores - reference).max())}
    out["ours_other_s"] = round(out["ours_s"] - out["ours_model_s"], 4)
    out["speedup"] = round(out["baseline_s"] / out["ours_s"], 2)
    out["floor_overhead"] = round(out["ours_s"] / out["floor_s"], 3)
    return out


def bench_ig(summarizer: PointerSummarizer, generation: Generation, repeats: int) -> dict[str, Any]:
    """Our integrated gradients vs captum's IntegratedGradients on the presence gates, once per target,
    both at the default step count on captum's own nodes (path_power 1) and without refinement."""
    scorer = summarizer.scorer(generation)
    steps = METHODS["integrated_gradients"].defaults()["n_steps"]

    def run() -> Attribution:
        return METHODS["integrated_gradients"](summarizer.scorer(generation), n_steps=steps, max_steps=steps,
                                               path_power=1)
    run()                                                                 # warm-ups: one of each side
    per_token_integrated_gradients(scorer, range(1), n_steps=steps)
    ours_s, base, attribution, reference = [], [], None, None
    for _ in range(repeats):
        seconds, attribution = clock(run)
        ours_s.append(seconds)
        seconds, reference = clock(
            lambda: per_token_integrated_gradients(scorer, range(scorer.summary_len), n_steps=steps))
        base.append(seconds)
    out = {"ours_s": median(ours_s), "baseline_s": median(base), "n_steps": steps,
           "forward_passes": attribution.forward_passes, "backward_passes": attribution.backward_passes,
           "max_abs_diff": float(np.abs(attribution.scores - reference).max())}
    out["speedup"] = round(out["baseline_s"] / out["ours_s"], 2)
    return out


def bench_all(summarizer: PointerSummarizer, generation: Generation, repeats: int) -> dict[str, Any]:
    """Every registered method at its defaults through ``explain(..., "all")``: medians per method, and
    whether every IG row met its convergence rule in every round."""
    explain(summarizer.scorer(generation), "all")                         # warm-up
    totals, runs = [], []
    for _ in range(repeats):
        seconds, results = clock(lambda: explain(summarizer.scorer(generation), "all"))
        totals.append(seconds)
        runs.append(results)
    methods = {name: {"seconds": median([r[name].seconds for r in runs]),
                      "forward_passes": runs[-1][name].forward_passes,
                      "backward_passes": runs[-1][name].backward_passes} for name in runs[-1]}
    ig = [r["integrated_gradients"].checks for r in runs]
    return {"total_s": median(totals), "totals_s": [round(x, 2) for x in totals], "methods": methods,
            "ig_all_rows_converged": all(c["all_rows_converged"] for c in ig),
            "ig_rows_refined": ig[-1]["rows_refined"], "ig_steps_per_row": ig[-1]["steps_per_row"],
            "ig_worst_delta_over_allowed": max(c["worst_delta_over_allowed"] for c in ig)}


# ---------------------------------------------------------------- peak memory in a fresh process

def status_kib(field: str) -> int:
    """A KiB figure of this process from /proc/self/status (e.g. VmHWM), or -1 where there is none."""
    try:
        with open("/proc/self/status") as status:
            return int(next(line for line in status if line.startswith(field + ":")).split()[1])
    except (OSError, StopIteration):
        return -1


def rss_child(tokens: int, model: str | None) -> None:
    """In the fresh process: every method at its defaults on a ``tokens``-token input; prints one JSON line."""
    summarizer, generation, _ = setup(model, tokens)
    loaded = status_kib("VmHWM")
    seconds, results = clock(lambda: explain(summarizer.scorer(generation), "all"))
    print(json.dumps({"explain_s": seconds, "loaded_rss_kib": loaded, "vmhwm_kib": status_kib("VmHWM"),
                      "source_tokens": len(generation.source_tokens), "summary_tokens": len(generation.summary_tokens),
                      "methods": {name: round(a.seconds, 3) for name, a in results.items()}}))


def peak_rss_mb(tokens: int = RSS_TOKENS, *, model: str | None = None) -> dict[str, Any]:
    """Run every registered method at its defaults on a ``tokens``-token input in a fresh subprocess
    (``--rss-child``); → its peak RSS (getrusage RUSAGE_CHILDREN, KiB on Linux) in MB and its seconds.

    Linux keeps ru_maxrss across execve, and subprocess spawns with vfork, so RUSAGE_CHILDREN is at least
    this (parent) process's own peak at spawn time; ``child_vmhwm_mb`` (the child's /proc VmHWM, which
    starts afresh at exec) is the child's own peak, and ``parent_peak_mb`` shows what may be inherited."""
    command = [sys.executable, str(Path(__file__).resolve()), "--rss-child", str(tokens)]
    command += ["--model", model] if model else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds, proc = clock(lambda: subprocess.run(command, capture_output=True, text=True, check=False))
    if proc.returncode != 0:
        raise RuntimeError(f"the peak-RSS subprocess failed:\n{proc.stderr[-2000:]}")
    child = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"tokens": tokens, "source_tokens": child["source_tokens"], "summary_tokens": child["summary_tokens"],
            "peak_rss_mb": round(peak / 1024, 1), "loaded_peak_rss_mb": round(child["loaded_rss_kib"] / 1024, 1),
            "child_vmhwm_mb": round(child["vmhwm_kib"] / 1024, 1), "parent_peak_mb": round(parent / 1024, 1),
            "earlier_children_peak_mb": round(before / 1024, 1), "seconds": round(seconds, 2),
            "explain_s": round(child["explain_s"], 2), "methods_s": child["methods"]}


# ---------------------------------------------------------------- the run and its table

def run_explain_bench(model: str | None = None, *, tokens: int = SOURCE_TOKENS, summary_tokens: int = SUMMARY_TOKENS,
                      repeats: int = 3, device: str = "cpu") -> dict[str, Any]:
    """Measure ours vs the per-token captum baselines, the floor, and all methods; medians over ``repeats``."""
    summarizer, generation, origin = setup(model, tokens, summary_tokens, device=device)
    start = time.perf_counter()
    results: dict[str, Any] = {
        "model": summarizer.name, "device": str(summarizer.device), "threads": torch.get_num_threads(), "input": origin,
        "source_tokens": len(generation.source_tokens), "summary_tokens": len(generation.summary_tokens),
        "batch_size": summarizer.scorer(generation).batch_size, "repeats": repeats,
        "targets": TARGETS, "loadavg_start": os.getloadavg()[0],
        "all": bench_all(summarizer, generation, repeats),
        "perturbation": {name: bench_perturbation(name, summarizer, generation, repeats) for name in PRESENCE_METHODS},
        "integrated_gradients": bench_ig(summarizer, generation, repeats)}
    results["bench_s"] = round(time.perf_counter() - start, 1)
    results["loadavg_end"] = os.getloadavg()[0]
    return results


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
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


def print_explain_bench(results: dict[str, Any]) -> None:
    """A table of the measurements and targets, then the results as one JSON line."""
    results["met"] = verdicts(results)
    print(f"model {results['model']} on {results['device']} ({results['threads']} threads), {results['source_tokens']}-token input "
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="checkpoint folder or name under pretrained/ (default: the shipped model)")
    parser.add_argument("--tokens", type=int, default=SOURCE_TOKENS, help=f"source tokens (default {SOURCE_TOKENS})")
    parser.add_argument("--summary-tokens", type=int, default=SUMMARY_TOKENS,
                        help=f"the summary forced to this many tokens (default {SUMMARY_TOKENS})")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds, each side once per round (default 3)")
    parser.add_argument("--rss-tokens", type=int, default=RSS_TOKENS,
                        help=f"source tokens of the peak-RSS subprocess (default {RSS_TOKENS})")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                        help="where the model runs (default cpu; the memory measurement runs on the CPU only)")
    parser.add_argument("--rss-child", type=int, default=None, metavar="TOKENS",
                        help="only run every method on a TOKENS-token input and print one JSON line "
                             "(the fresh process whose peak RSS the benchmark measures)")
    args = parser.parse_args()
    if args.rss_child is not None:
        rss_child(args.rss_child, args.model)
        return
    results = run_explain_bench(args.model, tokens=args.tokens, summary_tokens=args.summary_tokens,
                                repeats=args.repeats, device=args.device)
    if args.device == "cpu":
        results["rss"] = peak_rss_mb(args.rss_tokens, model=args.model)
    print_explain_bench(results)


if __name__ == "__main__":
    main()
