"""Time and memory at the ceilings (docs/limits.md): what the largest requests cost, measured.

    python benchmarks/limits.py [--words 10000] [--parts ceiling,accepted,page]
    python benchmarks/limits.py --words 300 --max-seconds 2 --page-tokens 60 --methods occlusion   (small mode)

1. ``explain --methods all --json`` on a ``--words``-word text at the source ceiling (5,000 tokens): the
   request is refused by its time estimate; its wall time, exit status and peak RSS.
2. The slowest accepted request: the longest source (in steps of 100 tokens) for which ``explain --methods
   all`` (with faithfulness) stays under the 900 s ceiling (``--max-seconds``) by the estimate, found by
   bisection in this process (within the text's length); then the command itself from that length down until
   it accepts (its own estimate, timed on a fresh process, is noisy): wall time, peak RSS.
3. The page: the page's code in a child process under AppTest (the server's work
   without its web layer) with the same text at the page's source ceiling (2,000 tokens, ``--page-tokens``),
   every method (``--methods``) at the page's defaults, Summarize then Explain then faithfulness; its peak RSS
   and its RSS after the run.
Each measured command runs in a fresh child; peak RSS comes from ``os.wait4``. Prints a table and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.errors import InputError  # noqa: E402
from attnviz.examples import long_text  # noqa: E402
from attnviz.explain import METHODS  # noqa: E402
from attnviz.explain.cost import MAX_REQUEST_SECONDS  # noqa: E402
from attnviz.models.base import (
    MAX_SOURCE_TOKENS,  # noqa: E402
    DecodingSettings,  # noqa: E402
)
from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402
from attnviz.pipeline import DEFAULT_RANDOM_ORDERS, check_request, method_params  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ALL = [m for m in METHODS if m != "attention"]

PAGE_CHILD = r"""
import json, resource, sys
from streamlit.testing.v1 import AppTest
text = open(sys.argv[1], encoding="utf-8").read()
at = AppTest.from_file(sys.argv[3], default_timeout=3000).run()
at.session_state["text"] = text
at.text_input(key="limit").set_value(sys.argv[4])
at.sidebar.multiselect[0].set_value(sys.argv[2].split(","))
at.run()
[b for b in at.button if b.label == "Summarize"][0].click().run()
explain = [b for b in at.button if b.label.startswith("Explain with")]
refused = [e.value for e in at.error]
if explain:
    explain[0].click().run()
    faith = [b for b in at.button if b.label.startswith("Measure faithfulness")]
    if faith:
        faith[0].click().run()
status = open("/proc/self/status").read()
rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS")).split()[1]) / 1024
print(json.dumps({"accepted": bool(explain), "refused": refused, "exception": [str(e.value) for e in at.exception],
                  "rss_after_mb": round(rss), "tables": len(at.dataframe)}))
"""


def run_child(argv: list[str]) -> dict:
    """Run ``argv`` from the repository root; → exit status, wall seconds, peak RSS (MB), last output line."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.strip().splitlines() if line.strip()]
    return {"exit": proc.returncode, "seconds": round(time.perf_counter() - start, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "last": lines[-1][:300] if lines else ""}


def estimated_seconds(summarizer: PointerSummarizer, text: str, limit: int, max_seconds: float) -> float | None:
    """The estimate of ``explain --methods all`` on ``text`` cut to ``limit`` tokens, or None if refused."""
    summarizer.max_source_tokens = limit
    scorer = summarizer.scorer(summarizer.summarize(text, DecodingSettings()))
    try:
        return check_request(scorer, ALL, method_params(ALL, None, 0), max_seconds, DEFAULT_RANDOM_ORDERS)
    except InputError:
        return None


def slowest_accepted(text: str, max_seconds: float) -> tuple[int, float]:
    """(the longest source, a multiple of 100 tokens, whose ``--methods all`` request the estimate accepts;
    that estimate in seconds)."""
    summarizer = PointerSummarizer.from_checkpoint(device="cpu", max_source_tokens=MAX_SOURCE_TOKENS)
    at_ceiling = estimated_seconds(summarizer, text, MAX_SOURCE_TOKENS, max_seconds)
    if at_ceiling is not None:
        return MAX_SOURCE_TOKENS, at_ceiling
    summarizer.max_source_tokens = MAX_SOURCE_TOKENS
    length = len(summarizer.summarize(text, DecodingSettings()).source_tokens)     # a shorter text: no longer
    low, high, best = 1, -(-min(length, MAX_SOURCE_TOKENS) // 100), 0.0   # in hundreds: low accepted, high refused
    while high - low > 1:
        middle = (low + high) // 2
        seconds = estimated_seconds(summarizer, text, middle * 100, max_seconds)
        print(f"  bisection: {middle * 100} tokens " + ("refused" if seconds is None else f"≈ {seconds:.0f} s"),
              flush=True)
        if seconds is None:
            high = middle
        else:
            low, best = middle, seconds
    return low * 100, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--parts", default="ceiling,accepted,page", help="which measurements, comma-separated")
    parser.add_argument("--max-seconds", type=float, default=MAX_REQUEST_SECONDS,
                        help=f"the request ceiling in seconds (default {MAX_REQUEST_SECONDS:.0f}, the shipped one)")
    parser.add_argument("--page-tokens", type=int, default=2000, help="the page's source limit (default 2000)")
    parser.add_argument("--methods", default=",".join(ALL), help="the page's methods (default: all)")
    args = parser.parse_args()
    parts = args.parts.split(",")
    text, origin = long_text(args.words)
    work = Path(tempfile.mkdtemp(prefix="attnviz-limits-"))
    path = work / "text.txt"
    path.write_text(text, encoding="utf-8")
    print(f"text: {len(text.split()):,} words from {origin}", flush=True)
    explain = [sys.executable, "-m", "attnviz", "explain", "--file", str(path), "--methods", "all", "--json",
               "--max-seconds", str(args.max_seconds)]
    results: dict[str, dict] = {}
    if "ceiling" in parts:
        results["ceiling"] = run_child(explain + ["--max-source-tokens", str(MAX_SOURCE_TOKENS)])
        print(f"at the ceiling ({MAX_SOURCE_TOKENS} tokens): {results['ceiling']}", flush=True)
    if "accepted" in parts:
        tokens, seconds = slowest_accepted(text, args.max_seconds)
        for tokens in range(tokens, 0, -100):
            run = run_child(explain + ["--max-source-tokens", str(tokens)])
            print(f"  explain at {tokens} tokens: exit {run['exit']} in {run['seconds']} s", flush=True)
            if run["exit"] != 2:
                break
        results["slowest_accepted"] = {"tokens": tokens, "estimate_here_s": round(seconds),
                                       "accepted": run["exit"] != 2, **run}   # False: not even 100 tokens
        results["slowest_accepted"]["last"] = run["last"][:80]
        print(f"slowest accepted ({tokens} tokens): {results['slowest_accepted']}", flush=True)
    if "page" in parts:
        child = work / "page.py"
        child.write_text(PAGE_CHILD, encoding="utf-8")
        page = run_child([sys.executable, str(child), str(path), args.methods, str(ROOT / "app.py"),
                          str(args.page_tokens)])
        try:
            page.update(json.loads(page.pop("last")))
        except ValueError:
            pass
        results["page"] = page
        print(f"page at {args.page_tokens:,} tokens, methods {args.methods}: {page}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
