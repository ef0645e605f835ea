"""Browser benchmark of the page: cold start and click-to-heatmap, in headless Chromium (playwright).

    python benchmarks/app.py [--runs 9] [--words 400] [--cold-starts 3]

* cold start: from launching `streamlit run app.py` to a page that can summarize with the model loaded
  (the sidebar's "Device in use" line is drawn only after the model has loaded);
* click to heatmap: from clicking Summarize on a fresh page holding a ``--words``-word text (a different
  text each run, so no cached summary) to the attention heatmap drawn in the browser;
* first click: the same, for the first Summarize after each cold start (the page warms the model when it
  loads it, so this should be no slower than the later clicks).
Prints a table and one JSON line (medians and 90th percentiles).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.data import DATA_DIR, read_pairs, split_path  # noqa: E402
from benchmarks.app_server import CHROMIUM_FLAGS, ROOT, chromium_path, free_port, start_app, wait_healthy  # noqa: E402

READY = "text=Device in use"


def texts(words: int, runs: int) -> list[str]:
    """``runs`` different texts of ``words`` words: news test articles from a different start each run."""
    path = split_path("test", "news", ROOT / DATA_DIR)
    pool = " ".join(p["text"] for p in read_pairs(path)).split() if path.is_file() else \
        [f"word{i % 997}" for i in range(words * (runs + 1))]
    step = max(1, (len(pool) - words) // max(1, runs))
    return [" ".join(pool[i * step: i * step + words]) for i in range(runs)]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def click_to_heatmap(page, port: int, text: str) -> float:
    """Seconds from clicking Summarize on a fresh page holding ``text`` to the heatmap drawn."""
    page.goto(f"http://127.0.0.1:{port}/")
    page.locator(READY).wait_for(timeout=120_000)
    box = page.get_by_label("Text to summarize")
    box.fill(text)
    box.press("Control+Enter")
    page.wait_for_timeout(300)
    start = time.perf_counter()
    page.get_by_role("button", name="Summarize").click()
    page.locator(".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm").first.wait_for(state="attached",
                                                                                        timeout=120_000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--cold-starts", type=int, default=3)
    args = parser.parse_args()
    browser = chromium_path()
    if browser is None:
        sys.exit("no Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    cold, first, clicks = [], [], []
    pool = texts(args.words, args.runs + args.cold_starts)
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(profile, executable_path=browser, headless=True,
                                                        args=CHROMIUM_FLAGS, viewport={"width": 1440, "height": 900})
        page = context.new_page()
        for i in range(args.cold_starts):
            port = free_port()
            start = time.perf_counter()
            proc = start_app(port)
            try:
                wait_healthy(port, proc)
                page.goto(f"http://127.0.0.1:{port}/")
                page.locator(READY).wait_for(timeout=120_000)
                cold.append(time.perf_counter() - start)
                first.append(click_to_heatmap(page, port, pool[args.runs + i]))
                if i == args.cold_starts - 1:                      # the later clicks use the last server
                    clicks = [click_to_heatmap(page, port, text) for text in pool[:args.runs]]
            finally:
                proc.terminate()
                proc.wait(timeout=20)
        context.close()
    result = {"words": args.words, "runs": len(clicks), "cold_starts": len(cold),
              "click_to_heatmap_median_s": round(statistics.median(clicks), 3),
              "click_to_heatmap_p90_s": round(percentile(clicks, 0.9), 3),
              "first_click_median_s": round(statistics.median(first), 3), "first_click_s": [round(c, 3) for c in first],
              "cold_start_median_s": round(statistics.median(cold), 2), "cold_start_max_s": round(max(cold), 2),
              "click_to_heatmap_s": [round(c, 3) for c in clicks], "cold_start_s": [round(c, 2) for c in cold],
              "targets": {"click_to_heatmap_s": 2.0, "cold_start_s": 10.0}}
    print(f"click → heatmap ({args.words} words, {len(clicks)} runs): median {result['click_to_heatmap_median_s']:.2f} s, "
          f"p90 {result['click_to_heatmap_p90_s']:.2f} s (target ≤ 2 s)")
    print(f"first click after each cold start ({len(first)}): median {result['first_click_median_s']:.2f} s "
          f"(runs {result['first_click_s']})")
    print(f"cold start → ready with the model loaded ({len(cold)} starts): median {result['cold_start_median_s']:.1f} s, "
          f"max {result['cold_start_max_s']:.1f} s (target ≤ 10 s)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
