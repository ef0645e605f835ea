"""Text/summary pairs: the Pair type, JSONL read/write, and where each split file lives.

Layout under a data folder (``DATA_DIR`` by default)::

    downloads/                        cached wheels and apt lists (reused on re-runs)
    news/{train,valid,test}.jsonl     NewsArticles + BBC, split per source then concatenated
    debian/{train,valid,test}.jsonl   package long description -> short description
    glove/words.txt, glove/vectors.npy
    MANIFEST.json                     counts per source per split, package versions, seed

Each jsonl line is ``{"text": ..., "summary": ..., "origin": ...}``.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

Pair = dict[str, str]

DATA_DIR = Path("data")
SPLITS: tuple[str, ...] = ("train", "valid", "test")


def split_path(split: str = "test", corpus: str = "news", data_dir: Path | str = DATA_DIR) -> Path:
    """The jsonl file of one split of one corpus: ``data_dir/corpus/split.jsonl``."""
    return Path(data_dir) / corpus / f"{split}.jsonl"


def write_pairs(path: Path, pairs: Iterable[Pair]) -> None:
    """Write pairs as jsonl (UTF-8, one object a line), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for pair in pairs:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_pairs(path: Path | str, keys: tuple[str, ...] = ("text", "summary")) -> list[dict]:
    """Read a jsonl file of pairs, each with string ``keys``; a malformed line (or a file that is not UTF-8)
    raises ValueError naming the file and line."""
    path = Path(path)
    pairs: list[dict] = []
    with path.open(encoding="utf-8") as f:
        lines = enumerate(f, start=1)
        while True:
            try:
                lineno, line = next(lines)
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise ValueError(f"{path}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            missing = [k for k in keys if k not in obj]
            if missing:
                raise ValueError(f"{path}:{lineno}: missing key(s) {', '.join(missing)}")
            bad = [k for k in keys if not isinstance(obj[k], str)]
            if bad:
                raise ValueError(f"{path}:{lineno}: key(s) {', '.join(bad)} must be strings")
            pairs.append(obj)
    return pairs
