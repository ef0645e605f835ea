"""Comparison benchmark: faithfulness against its floor, and the corpus report's throughput serially and
on a 2-worker local Dask cluster, side by side in one run.

    python benchmarks/compare.py [--documents 8] [--repeats 3] [--model M]
    python benchmarks/compare.py --tokens 40 --documents 2 --words 40 --repeats 1      (the tests' small mode)

* faithfulness: every registered method's scores on a 400-token input (``--tokens``) with a 12-token summary, then
  ``faithfulness(...)`` (10 random orders) against the floor: the same number of raw batched forward
  passes on random masks; medians of ``repeats`` interleaved rounds;
* report: ``documents`` news test articles (or random texts; ``--words``: each cut to that many words),
  default report methods, serial (one
  process, 1 thread) and over Dask (2 single-threaded workers; cluster start-up included), alternating,
  medians of ``repeats`` rounds of each.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from attnviz.data import read_pairs, split_path  # noqa: E402
from attnviz.examples import long_text  # noqa: E402
from attnviz.explain import explain  # noqa: E402
from attnviz.faithfulness import faithfulness  # noqa: E402
from attnviz.report import ReportSettings, run_report  # noqa: E402
from benchmarks.common import same, setup  # noqa: E402

TARGET_FLOOR = 1.3


def bench_faithfulness(model: str | None = None, *, tokens: int = 400, repeats: int = 3) -> dict[str, Any]:
    """``faithfulness`` of every method's scores vs as many raw forward passes on random masks (medians)."""
    summarizer, generation, origin = setup(model, tokens, 12)
    scores = {name: a.scores for name, a in explain(summarizer.scorer(generation), "all").items()}
    faithfulness(summarizer.scorer(generation), scores)                                   # warm-up
    ours, floor, cost = [], [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        _, cost = faithfulness(summarizer.scorer(generation), scores)
        ours.append(time.perf_counter() - start)
        scorer = summarizer.scorer(generation)
        keep = torch.rand(cost["distinct_masks"], scorer.source_len, generator=torch.Generator().manual_seed(0)) > 0.5
        start = time.perf_counter()
        scorer.score_keep(keep)
        floor.append(time.perf_counter() - start)
    out = {"input": origin, "source_tokens": len(generation.source_tokens),
           "summary_tokens": len(generation.summary_tokens), "methods": len(scores), "random_orders": cost["random_orders"],
           "forward_passes": cost["forward_passes"], "ours_s": round(statistics.median(ours), 3),
           "floor_s": round(statistics.median(floor), 3), "threads": torch.get_num_threads()}
    out["ours_over_floor"] = round(out["ours_s"] / out["floor_s"], 3)
    return out


def bench_report(documents: int = 8, *, model: str | None = None, workers: int = 2, repeats: int = 3,
                 words: int | None = None) -> dict[str, Any]:
    """The corpus report serially and over a local Dask cluster, alternating (serial first), ``repeats``
    rounds; medians, and whether every run gave the same figures."""
    path = split_path("test", "news")
    texts = ([p["text"] for p in read_pairs(path)][:documents] if path.is_file()
             else [long_text(300)[0]] * documents)
    texts = [" ".join(text.split()[:words]) for text in texts] if words else texts
    settings = ReportSettings(model=model)
    serial, parallel = [], []
    for _ in range(repeats):
        serial.append(run_report(texts, settings, serial=True))
        parallel.append(run_report(texts, settings, workers=workers))
    serial_s = statistics.median(r["seconds"] for r in serial)
    dask_s = statistics.median(r["seconds"] for r in parallel)
    return {"documents": len(texts), "methods": list(settings.methods), "serial_threads": torch.get_num_threads(),
            "repeats": repeats, "serial_s": round(serial_s, 1), "serial_docs_per_min": round(60 * len(texts) / serial_s, 2),
            "dask_s": round(dask_s, 1), "dask_docs_per_min": round(60 * len(texts) / dask_s, 2),
            "serial_runs_s": [r["seconds"] for r in serial], "dask_runs_s": [r["seconds"] for r in parallel],
            "dask_workers": workers, "speedup": round(serial_s / dask_s, 2),
            "equal_results": all(same(serial[0], other) for other in serial[1:] + parallel)}


def run_compare_bench(model: str | None = None, *, documents: int = 8, repeats: int = 3, tokens: int = 400,
                      words: int | None = None) -> dict[str, Any]:
    start = time.perf_counter()
    results = {"loadavg_start": os.getloadavg()[0],
               "faithfulness": bench_faithfulness(model, tokens=tokens, repeats=repeats),
               "report": bench_report(documents, model=model, repeats=repeats, words=words)}
    results["bench_s"] = round(time.perf_counter() - start, 1)
    results["loadavg_end"] = os.getloadavg()[0]
    return results


def print_compare_bench(results: dict[str, Any]) -> None:
    f, r = results["faithfulness"], results["report"]
    print(f"faithfulness, {f['methods']} methods + {f['random_orders']} random orders, {f['source_tokens']}-token input, "
          f"T={f['summary_tokens']}: {f['ours_s']:.2f} s for {f['forward_passes']} passes; floor {f['floor_s']:.2f} s; "
          f"ratio {f['ours_over_floor']:.2f}x (target <= {TARGET_FLOOR}x)")
    print(f"report, {r['documents']} documents ({', '.join(r['methods'])}), medians of {r['repeats']} alternating runs: "
          f"serial {r['serial_s']:.1f} s = "
          f"{r['serial_docs_per_min']:.1f} docs/min; Dask {r['dask_workers']} workers {r['dask_s']:.1f} s = "
          f"{r['dask_docs_per_min']:.1f} docs/min; {r['speedup']:.2f}x; same results: {r['equal_results']}")
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None,
                        help="checkpoint folder or name under pretrained/ (default: the shipped model)")
    parser.add_argument("--documents", type=int, default=8, help="documents in the report benchmark (default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds, each side once per round (default 3)")
    parser.add_argument("--tokens", type=int, default=400, help="source tokens of the faithfulness input (default 400)")
    parser.add_argument("--words", type=int, default=None, help="cut each report document to this many words")
    args = parser.parse_args()
    print_compare_bench(run_compare_bench(args.model, documents=args.documents, repeats=args.repeats,
                                          tokens=args.tokens, words=args.words))


if __name__ == "__main__":
    main()
