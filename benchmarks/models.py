"""Every model side by side: load time, summarize latency and every method's time at its default budget,
and peak memory, each model in a fresh process.

    python benchmarks/models.py [--models news-pointer-generator,news-multihead,...] [--tokens 400]
                                [--explain-tokens 300] [--summary-tokens 16] [--runs 5] [--methods all]

Per model: the load (cold, in a fresh process), summarize latency (greedy and beam 4, medians of ``--runs``)
on a ``--tokens``-token news article, every method at its default budget on a ``--explain-tokens``-token
article with a ``--summary-tokens``-token summary, and the process's peak RSS. Prints a table, then one
JSON line.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.examples import article  # noqa: E402
from attnviz.explain import METHODS  # noqa: E402
from attnviz.models.base import DecodingSettings  # noqa: E402
from attnviz.models.folders import available_models  # noqa: E402
from attnviz.models.loading import load_model  # noqa: E402
from benchmarks.common import clock, median  # noqa: E402


def measure(model: str | Path, *, tokens: int = 400, explain_tokens: int = 300, summary_tokens: int = 16,
            runs: int = 5, methods: list[str] | None = None, device: str = "cpu", log=print) -> dict:
    """One model's figures (see the module docstring), in this process."""
    load_s, summarizer = clock(lambda: load_model(model, device=device, max_source_tokens=tokens))
    text, origin = article(tokens)
    parameters = sum(p.numel() for p in summarizer.model.parameters())
    log(f"{summarizer.name}: {parameters / 1e6:.1f}M parameters, loaded in {load_s:.1f} s; {origin}")
    latency = {}
    for name, settings in {"greedy": DecodingSettings(beam_size=1), "beam4": DecodingSettings(beam_size=4)}.items():
        summarizer.summarize(text, settings)                                             # warm-up
        latency[name] = median([clock(lambda: summarizer.summarize(text, settings))[0] for _ in range(runs)])
        log(f"  summarize {name}: {latency[name]:.3f} s (median of {runs})")
    shorter = summarizer.limited(min(explain_tokens, summarizer.source_ceiling))
    forced = DecodingSettings(beam_size=4, min_len=summary_tokens, max_len=summary_tokens)
    generation = shorter.summarize(article(explain_tokens)[0], forced)
    log(f"  explaining {len(generation.source_tokens)} source tokens, {len(generation.summary_tokens)} summary tokens")
    timed = {}
    for name in methods or list(METHODS):
        scorer = shorter.scorer(generation)
        seconds, result = clock(lambda: METHODS[name](scorer))
        timed[name] = {"seconds": round(seconds, 2), "forward": result.forward_passes,
                       "backward": result.backward_passes}
        log(f"  {name:22s} {seconds:8.2f} s  {result.forward_passes:6d} forward {result.backward_passes:6d} backward")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(m["seconds"] for m in timed.values())
    log(f"  all methods: {total:.1f} s; peak RSS {peak:,.0f} MB")
    return {"model": summarizer.name, "parameters": parameters, "load_s": round(load_s, 2), "summarize_s": latency, "methods": timed,
            "all_methods_s": round(total, 1), "tokens": tokens, "explain_tokens": len(generation.source_tokens),
            "summary_tokens": len(generation.summary_tokens), "peak_rss_mb": round(peak), "device": device}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma-separated names or folders (default: every shipped one)")
    parser.add_argument("--tokens", type=int, default=400)
    parser.add_argument("--explain-tokens", type=int, default=300)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--methods", default="all", help="comma-separated method names, or all")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)        # the child process: one model
    args = parser.parse_args()
    methods = None if args.methods == "all" else args.methods.split(",")
    options = dict(tokens=args.tokens, explain_tokens=args.explain_tokens, summary_tokens=args.summary_tokens,
                   runs=args.runs, methods=methods, device=args.device)
    if args.one is not None:
        print(json.dumps(measure(args.one, log=lambda line: print(line, file=sys.stderr, flush=True), **options)))
        return
    results = []
    for model in args.models.split(",") if args.models else available_models():
        start = time.perf_counter()
        child = subprocess.run([sys.executable, __file__, "--one", model, *sys.argv[1:]], capture_output=False,
                               stdout=subprocess.PIPE, text=True, check=True)
        results.append({**json.loads(child.stdout.strip().splitlines()[-1]),
                        "process_s": round(time.perf_counter() - start, 1)})
    print(f"\n{'model':28s} {'load':>7s} {'greedy':>8s} {'beam 4':>8s} {'all methods':>12s} {'peak RSS':>10s}")
    for r in results:
        print(f"{r['model'][:28]:28s} {r['load_s']:6.1f}s {r['summarize_s']['greedy']:7.3f}s "
              f"{r['summarize_s']['beam4']:7.3f}s {r['all_methods_s']:11.1f}s {r['peak_rss_mb']:8,d} MB")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
