"""Latency of summarizing: a table and one JSON line.

    python benchmarks/latency.py [--runs 21] [--tokens 400] [--device cpu] [--model M]

Times ``PointerSummarizer.summarize`` (tokenize, encode, search, package with attention) on a ``--tokens``-token
input, greedy and beam 4, with the default settings and with the summary forced to 20 tokens (the
decoder's worst case), after warm-up runs; medians and 90th percentiles over ``--runs``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from attnviz.examples import long_text  # noqa: E402
from attnviz.models.base import DecodingSettings  # noqa: E402
from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402
from attnviz.words import split_words  # noqa: E402


def times(fn: Callable[[], Any], runs: int, warmup: int = 2) -> list[float]:
    """Wall seconds of ``runs`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def run_latency(model: str | None = None, *, tokens: int = 400, runs: int = 21, device: str = "cpu") -> dict[str, Any]:
    """Median and 90th-percentile milliseconds per decoding case, with the summary length of each."""
    summarizer = PointerSummarizer.from_checkpoint(model, device=device)
    text, origin = long_text(tokens)
    source_tokens = min(len(split_words(text)), summarizer.max_source_tokens)
    results = {"model": summarizer.name, "device": str(summarizer.device), "threads": torch.get_num_threads(),
               "source_tokens": source_tokens, "input": origin, "runs": runs, "cases": {}}
    cases = {"greedy": DecodingSettings(beam_size=1), "beam4": DecodingSettings(beam_size=4),
             # the longest summary the defaults allow, forced: the worst case for the decoder
             "greedy_20": DecodingSettings(beam_size=1, min_len=20, max_len=20),
             "beam4_20": DecodingSettings(beam_size=4, min_len=20, max_len=20)}
    for name, settings in cases.items():
        length = len(summarizer.summarize(text, settings).summary_tokens)
        ordered = sorted(times(partial(summarizer.summarize, text, settings), runs))
        results["cases"][name] = {"median_ms": round(1000 * statistics.median(ordered), 1),
                                  "p90_ms": round(1000 * ordered[int(0.9 * (len(ordered) - 1))], 1),
                                  "summary_tokens": length}
    return results


def print_latency(results: dict[str, Any]) -> None:
    print(f"model {results['model']} on {results['device']} ({results['threads']} threads), "
          f"{results['source_tokens']}-token input from {results['input']}, {results['runs']} runs")
    print(f"{'case':10s} {'median ms':>10s} {'p90 ms':>8s} {'summary tokens':>15s}")
    for name, case in results["cases"].items():
        print(f"{name:10s} {case['median_ms']:10.1f} {case['p90_ms']:8.1f} {case['summary_tokens']:15d}")
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="checkpoint folder or name under pretrained/ (default: the shipped model)")
    parser.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--tokens", type=int, default=400, help="source tokens (default 400)")
    parser.add_argument("--runs", type=int, default=21, help="timed runs per case (default 21)")
    args = parser.parse_args()
    print_latency(run_latency(args.model, tokens=args.tokens, runs=args.runs, device=args.device))


if __name__ == "__main__":
    main()
