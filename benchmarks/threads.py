"""Threads: one explanation with torch's intra-op threads at 1 and at the core count, on an idle machine
and beside one busy process (as another page session's request or a Dask worker would be), alternating
in every round, medians of ``--repeats``. Prints a table and one JSON line.

    python benchmarks/threads.py [--tokens 300] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from attnviz.explain import explain  # noqa: E402
from benchmarks.common import clock, median, setup  # noqa: E402

WORKLOAD = {"integrated_gradients": {"n_steps": 8, "max_steps": 8}}   # backward-heavy, like the 15× finding
METHODS = ["integrated_gradients", "occlusion"]


def run(tokens: int, repeats: int) -> dict:
    summarizer, generation, origin = setup(None, tokens)
    cores = os.cpu_count() or 1
    counts = sorted({1, cores})
    explain(summarizer.scorer(generation), METHODS, params=WORKLOAD)                      # warm-up
    seconds: dict[str, list[float]] = {}
    for busy in (False, True):
        rival = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            for _ in range(repeats):
                for threads in counts:
                    torch.set_num_threads(threads)
                    key = f"{threads} thread{'s' * (threads > 1)}, {'one busy process beside' if busy else 'idle'}"
                    seconds.setdefault(key, []).append(
                        clock(lambda: explain(summarizer.scorer(generation), METHODS, params=WORKLOAD))[0])
        finally:
            if rival is not None:
                rival.kill()
    return {"cores": cores, "input": origin, "source_tokens": len(generation.source_tokens),
            "summary_tokens": len(generation.summary_tokens), "methods": METHODS, "params": WORKLOAD,
            "repeats": repeats, "median_s": {k: median(v) for k, v in seconds.items()}, "runs_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = run(args.tokens, args.repeats)
    print(f"{result['cores']} cores, {result['source_tokens']}-token input, T={result['summary_tokens']}, "
          f"{', '.join(METHODS)} (IG 8 steps), medians of {result['repeats']}")
    for key, value in result["median_s"].items():
        print(f"{key:40s} {value:8.2f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
