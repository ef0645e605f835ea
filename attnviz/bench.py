"""Latency benchmark: `python -m attnviz bench` prints a table and a JSON line.

Times ``Summarizer.summarize`` (tokenize, encode, search, package with attention) on a 400-token
input, greedy and beam 4, with the default settings and with the summary forced to 20 tokens
(the decoder's worst case), after warm-up runs; medians and 90th percentiles over ``--runs``.
"""
from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

import torch

from attnviz.data import read_pairs
from attnviz.decoding import DecodingSettings
from attnviz.pipeline import Summarizer
from attnviz.tokenizer import split_words


def bench_text(tokens: int, data_dir: Path = Path("data")) -> tuple[str, str]:
    """A text of at least ``tokens`` tokens: news test articles joined, else vocabulary words (seeded)."""
    path = data_dir / "news" / "test.jsonl"
    if path.is_file():
        parts, count = [], 0
        for pair in read_pairs(path):
            parts.append(pair["text"])
            count += len(split_words(pair["text"]))
            if count >= tokens:
                return " ".join(parts), f"news test articles ({path})"
    rng = random.Random(0)
    words = Summarizer.from_checkpoint(device="cpu").vocab.words[4:2000]
    return " ".join(rng.choice(words) for _ in range(tokens)), "random vocabulary words (no data/ folder)"


def bench_article(tokens: int, data_dir: Path = Path("data")) -> tuple[str, str]:
    """The first news test article with at least ``tokens`` tokens (the caller cuts it to ``tokens``), else
    ``bench_text(tokens)``."""
    path = data_dir / "news" / "test.jsonl"
    if path.is_file():
        for line, pair in enumerate(read_pairs(path), 1):
            if len(split_words(pair["text"])) >= tokens:
                return pair["text"], f"news test article {line} ({path})"
    return bench_text(tokens, data_dir)


def _time(fn, runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run_latency(model: str | None = None, *, tokens: int = 400, runs: int = 15, device: str = "cpu") -> dict:
    summarizer = Summarizer.from_checkpoint(model, device=device)
    text, origin = bench_text(tokens)
    source_tokens = min(len(split_words(text)), summarizer.max_source_tokens)
    results = {"model": summarizer.name, "device": str(summarizer.device), "threads": torch.get_num_threads(),
               "source_tokens": source_tokens, "input": origin, "runs": runs, "cases": {}}
    cases = {"greedy": DecodingSettings(beam_size=1), "beam4": DecodingSettings(beam_size=4),
             # the longest summary the defaults allow, forced: the worst case for the decoder
             "greedy_20": DecodingSettings(beam_size=1, min_len=20, max_len=20),
             "beam4_20": DecodingSettings(beam_size=4, min_len=20, max_len=20)}
    for name, settings in cases.items():
        length = len(summarizer.summarize(text, settings).summary_tokens)
        times = sorted(_time(lambda: summarizer.summarize(text, settings), runs))
        results["cases"][name] = {"median_ms": round(1000 * statistics.median(times), 1),
                                  "p90_ms": round(1000 * times[int(0.9 * (len(times) - 1))], 1),
                                  "summary_tokens": length}
    return results


def print_latency(results: dict) -> None:
    print(f"model {results['model']} on {results['device']} ({results['threads']} threads), "
          f"{results['source_tokens']}-token input from {results['input']}, {results['runs']} runs")
    print(f"{'case':10s} {'median ms':>10s} {'p90 ms':>8s} {'summary tokens':>15s}")
    for name, case in results["cases"].items():
        print(f"{name:10s} {case['median_ms']:10.1f} {case['p90_ms']:8.1f} {case['summary_tokens']:15d}")
    print(json.dumps(results))
