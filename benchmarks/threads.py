"""Threads: one explanation with torch's intra-op threads at 1, at the core count and at the command line's
choice (``attnviz.threads.free_cores``: the cores other running processes leave free), on an idle machine and
beside 1 and 3 busy processes (as another request, a Dask worker or any other work would be), alternating in
every round, medians of ``--repeats``. Prints a table (with each median against the same setting idle) and one
JSON line.

    python benchmarks/threads.py [--tokens 300] [--repeats 3] [--busy 0,1,3]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from attnviz.explain import explain  # noqa: E402
from attnviz.threads import free_cores, usable_cores  # noqa: E402
from benchmarks.common import clock, median, setup  # noqa: E402

WORKLOAD = {"integrated_gradients": {"n_steps": 8, "max_steps": 8}}   # backward-heavy, like the 15× finding
METHODS = ["integrated_gradients", "occlusion"]


def run(tokens: int, repeats: int, busy_counts: list[int]) -> dict:
    summarizer, generation, origin = setup(None, tokens)
    cores = usable_cores()
    explain(summarizer.scorer(generation), METHODS, params=WORKLOAD)                      # warm-up
    seconds: dict[str, list[float]] = {}
    chosen: dict[int, list[int]] = {}
    for busy in busy_counts:
        rivals = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
        try:
            time.sleep(0.5)                                                              # the rivals are running
            for _ in range(repeats):
                auto = free_cores(cores)
                chosen.setdefault(busy, []).append(auto)
                for label, threads in (("1 thread", 1), (f"{cores} threads", cores), ("free cores", auto)):
                    torch.set_num_threads(threads)
                    key = f"{label}, {busy} busy"
                    seconds.setdefault(key, []).append(
                        clock(lambda: explain(summarizer.scorer(generation), METHODS, params=WORKLOAD))[0])
        finally:
            for rival in rivals:
                rival.kill()
    return {"cores": cores, "input": origin, "source_tokens": len(generation.source_tokens),
            "summary_tokens": len(generation.summary_tokens), "methods": METHODS, "params": WORKLOAD,
            "repeats": repeats, "free_cores_chosen": chosen, "median_s": {k: median(v) for k, v in seconds.items()},
            "runs_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", default="0,1,3", help="busy processes beside the run, comma-separated")
    args = parser.parse_args()
    result = run(args.tokens, args.repeats, [int(b) for b in args.busy.split(",")])
    print(f"{result['cores']} cores, {result['source_tokens']}-token input, T={result['summary_tokens']}, "
          f"{', '.join(METHODS)} (IG 8 steps), medians of {result['repeats']}; free cores chose "
          f"{result['free_cores_chosen']}")
    medians = result["median_s"]
    for key, value in medians.items():
        idle = medians.get(key.rsplit(", ", 1)[0] + ", 0 busy")
        print(f"{key:28s} {value:8.2f} s" + (f"  ×{value / idle:.2f} of idle" if idle else ""))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
