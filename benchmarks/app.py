"""Browser benchmark of the page: cold start and click-to-heatmap, in headless Chromium (playwright).

    python benchmarks/app.py [--runs 9] [--words 400] [--cold-starts 3]
    python benchmarks/app.py --models news-pointer-generator,news-multihead,... [--runs 5]

* cold start: from launching `streamlit run app.py` to a page that can summarize with the model loaded
  (the sidebar's "Device in use" line is drawn only after the model has loaded);
* click to heatmap: from clicking Summarize on a fresh page holding a ``--words``-word text (a different
  text each run, so no cached summary) to the attention heatmap drawn in the browser;
* first click: the same, for the first Summarize after each cold start (the page warms the model when it
  loads it, so this should be no slower than the later clicks).
Prints a table and one JSON line (medians and 90th percentiles).

With ``--models``, one server: each model's first load in the page (from picking it in the sidebar to the
sidebar naming it as loaded and the page idle: cold; every model's first load is measured before any model is
picked again), picking it again after another model (cached: nothing may load again), and click to heatmap
with it picked (medians of ``--runs``).
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
from benchmarks.app_server import (  # noqa: E402
    CHROMIUM_FLAGS,
    ROOT,
    RunWatch,
    chromium_path,
    free_port,
    start_app,
    wait_healthy,
)

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


def pick_model(page, watch: RunWatch, name: str) -> float:
    """Seconds from picking ``name`` in the sidebar's model box to the sidebar naming it as loaded (0 if it is
    the model in use already: picking it again asks for no run); returns once that run has finished."""
    loaded = page.locator('[data-testid="stSidebar"]').get_by_text(f"model {name}", exact=False)
    if loaded.count():
        return 0.0
    box = page.get_by_role("combobox", name="Model", exact=True)
    box.click()
    box.press("ArrowDown")
    with watch.run(timeout_s=300):
        start = time.perf_counter()
        page.get_by_role("option", name=name, exact=True).first.click()
        loaded.wait_for(timeout=300_000)                 # the sidebar names the model once it is loaded
        seconds = time.perf_counter() - start
    return seconds


def click_to_heatmap(page, port: int, text: str, model: str | None = None,
                     watch: RunWatch | None = None) -> float:
    """Seconds from clicking Summarize on a fresh page holding ``text`` (with ``model`` picked) to the heatmap
    drawn."""
    page.goto(f"http://127.0.0.1:{port}/")
    page.locator(READY).wait_for(timeout=120_000)
    if model is not None:
        pick_model(page, watch, model)
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
    parser.add_argument("--models", default=None, help="comma-separated shipped model names: load times and clicks")
    args = parser.parse_args()
    browser = chromium_path()
    if browser is None:
        sys.exit("no Chromium: apt-get install chromium")
    if args.models:
        return models_benchmark(browser, args.models.split(","), args.runs, args.words)
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


def models_benchmark(browser: str, models: list[str], runs: int, words: int) -> None:
    """Load times (cold, cached) and click to heatmap per model, on one server (see the module docstring)."""
    from playwright.sync_api import sync_playwright

    pool, results = texts(words, runs * len(models)), {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        context = pw.chromium.launch_persistent_context(profile, executable_path=browser, headless=True,
                                                        args=CHROMIUM_FLAGS, viewport={"width": 1440, "height": 900})
        page, port = context.new_page(), free_port()
        watch = RunWatch(page)
        proc = start_app(port)
        try:
            wait_healthy(port, proc)
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(READY).wait_for(timeout=120_000)
            colds = {model: pick_model(page, watch, model) for model in models}   # every first load before any return
            for i, model in enumerate(models):
                cold = colds[model]
                pick_model(page, watch, models[i - 1] if i else models[-1] if len(models) > 1 else model)
                cached = pick_model(page, watch, model)
                clicks = [click_to_heatmap(page, port, text, model, watch) for text in pool[i * runs:(i + 1) * runs]]
                results[model] = {"load_cold_s": round(cold, 2), "load_cached_s": round(cached, 2),
                                  "click_to_heatmap_median_s": round(statistics.median(clicks), 3),
                                  "click_to_heatmap_s": [round(c, 3) for c in clicks]}
                print(f"{model:28s} load {cold:6.2f} s cold, {cached:5.2f} s cached; click → heatmap median "
                      f"{results[model]['click_to_heatmap_median_s']:.2f} s ({runs} runs, {words} words)", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        context.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
