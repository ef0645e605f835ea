"""Dedupe and split: seeded, order-independent train/valid/test splits with no article in two splits."""
from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from attnviz.data.pairs import SPLITS, Pair, split_path, write_pairs
from attnviz.data.repair import normalise_key

SPLIT_SEED = 1234
VALID_FRACTION = 0.05
TEST_FRACTION = 0.05
DEDUPE_PREFIX_CHARS = 200      # texts sharing this many normalised leading chars are one article


def origin_sort_key(origin: str) -> tuple[object, ...]:
    """Natural order: `newsarticles:9` before `newsarticles:10`."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", origin))


def sort_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """Pairs in natural origin order, so results never depend on file or listing order."""
    return sorted(pairs, key=lambda p: origin_sort_key(p["origin"]))


def dedupe_pairs(pairs: Iterable[Pair], prefix_chars: int = DEDUPE_PREFIX_CHARS) -> list[Pair]:
    """Keep the first pair of each article: same normalised text or same normalised text prefix.

    Call it on the pool before splitting so one article cannot land in two splits.
    """
    kept: list[Pair] = []
    seen: set[str] = set()
    for pair in pairs:
        key = normalise_key(pair["text"])
        keys = {"text:" + key, "prefix:" + key[:prefix_chars]}
        if keys & seen:
            continue
        seen |= keys
        kept.append(pair)
    return kept


def split_pairs(pairs: Sequence[Pair], seed: int = SPLIT_SEED, valid_fraction: float = VALID_FRACTION,
                test_fraction: float = TEST_FRACTION) -> dict[str, list[Pair]]:
    """Seeded train/valid/test split, independent of input order; each split sorted by origin."""
    if not 0 <= valid_fraction < 1 or not 0 <= test_fraction < 1 or valid_fraction + test_fraction >= 1:
        raise ValueError(f"bad split fractions valid={valid_fraction} test={test_fraction}")
    ordered = sort_pairs(pairs)
    origins = [p["origin"] for p in ordered]
    if len(set(origins)) != len(origins):
        dupes = sorted({o for o in origins if origins.count(o) > 1})[:5]
        raise ValueError(f"origins must be unique before splitting; repeated: {dupes}")
    random.Random(seed).shuffle(ordered)
    n_test = round(len(ordered) * test_fraction)
    n_valid = round(len(ordered) * valid_fraction)
    return {
        "test": sort_pairs(ordered[:n_test]),
        "valid": sort_pairs(ordered[n_test:n_test + n_valid]),
        "train": sort_pairs(ordered[n_test + n_valid:]),
    }


def split_counts(splits: dict[str, list[Pair]]) -> dict[str, int]:
    """{"train": n, "valid": n, "test": n}."""
    return {name: len(splits[name]) for name in SPLITS}


def build_news_splits(sources: dict[str, list[Pair]], seed: int = SPLIT_SEED
                      ) -> tuple[dict[str, list[Pair]], dict[str, dict[str, int]]]:
    """Dedupe the pooled sources, split each source on its own, concatenate in source order."""
    pool = dedupe_pairs(sort_pairs(p for pairs in sources.values() for p in pairs))
    combined: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    counts: dict[str, dict[str, int]] = {}
    for source in sources:
        mine = [p for p in pool if p["origin"].split(":", 1)[0] == source]
        splits = split_pairs(mine, seed)
        counts[source] = split_counts(splits)
        for name in SPLITS:
            combined[name].extend(splits[name])
    return combined, counts


def write_splits(data_dir: Path, corpus: str, splits: dict[str, list[Pair]]) -> None:
    """`data_dir/corpus/{train,valid,test}.jsonl`."""
    for name in SPLITS:
        write_pairs(split_path(name, corpus, data_dir), splits[name])
