"""Sentences versus tokens as the explained features of one long article: every method at its default budget.

    python benchmarks/granularity.py [--tokens 2000] [--summary-tokens 16] [--runs 3] [--methods all]
                                     [--model NAME] [--device cpu]

The shipped model reads a ``--tokens``-token news article (cut) and its beam-4 summary is forced to
``--summary-tokens`` tokens; then, alternating sentence and token granularity ``--runs`` times each, every
method runs at its default budget on one scorer. Prints each method's median seconds and its forward and
backward passes (source sequences through the model) at both granularities, the totals, their ratio, and
one JSON line. Target (issue 14): all methods by sentence on 2,000 tokens ≤ 10 s on this CPU (missed: the
docs/speed.md says why).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.examples import article  # noqa: E402
from attnviz.explain import METHODS, method_names  # noqa: E402
from attnviz.explain.grouped import FeatureScorer  # noqa: E402
from attnviz.features import sentence_features  # noqa: E402
from benchmarks.common import clock, median, setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--methods", default="all")
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=("sentences", "tokens"), default=None,
                        help="measure one granularity (the comparison needs both)")
    args = parser.parse_args()
    granularities = [args.only] if args.only else ["sentences", "tokens"]
    summarizer, generation, origin = setup(args.model, args.tokens, args.summary_tokens, args.device)
    features = sentence_features(generation, text=article(args.tokens)[0])
    names = [m for m in method_names(args.methods)]
    print(f"{origin}: {len(generation.source_tokens)} source tokens in {features.count} sentences, "
          f"{len(generation.summary_tokens)} summary tokens; {args.runs} runs each, alternating")
    scorer = summarizer.scorer(generation)
    scorer.score_keep(torch.ones(1, scorer.source_len))              # warm-up: the first pass is slower
    times: dict[str, dict[str, list[float]]] = {g: {m: [] for m in names} for g in granularities}
    passes: dict[str, dict[str, str]] = {g: {} for g in granularities}    # "forward + backward" of the last run
    for run in range(args.runs):
        for granularity in granularities:
            for name in names:
                scorer = summarizer.scorer(generation)
                if granularity == "sentences":
                    scorer = FeatureScorer(scorer, features)
                seconds, attribution = clock(lambda: METHODS[name](scorer))
                times[granularity][name].append(seconds)
                passes[granularity][name] = f"{attribution.forward_passes} + {attribution.backward_passes}"
            print(f"  run {run + 1} {granularity}: {sum(t[-1] for t in times[granularity].values()):.1f} s", flush=True)
    medians = {g: {m: median(v) for m, v in per.items()} for g, per in times.items()}
    print(f"{'method':22s}" + "".join(f"{g + ' (s)':>16s}{'passes (f + b)':>18s}" for g in granularities))
    for name in names:
        print(f"{name:22s}" + "".join(f"{medians[g][name]:16.2f}{passes[g][name]:>18s}" for g in granularities))
    totals = {g: median([sum(t[i] for t in per.values()) for i in range(args.runs)]) for g, per in times.items()}
    ratio = (f"   tokens / sentences = {totals['tokens'] / totals['sentences']:.1f}×"
             if len(granularities) == 2 else "")
    print(f"{'all methods (median)':22s}" + "".join(f"{totals[g]:16.2f}" for g in granularities) + ratio)
    print(json.dumps({"tokens": len(generation.source_tokens), "sentences": features.count,
                      "summary_tokens": len(generation.summary_tokens), "runs": args.runs, "medians_s": medians,
                      "totals_s": totals, "passes": passes, "device": args.device}))


if __name__ == "__main__":
    main()
