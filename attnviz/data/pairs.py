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
    try:
        return parse_pairs(path.read_bytes().decode("utf-8").splitlines(), str(path), keys)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None


def parse_pairs(lines: Iterable[str], name: str, keys: tuple[str, ...] = ("text", "summary")) -> list[dict]:
    """The pairs of JSONL ``lines`` (blank lines skipped), each an object with string ``keys``; ValueError
    naming ``name`` and the line for anything else."""
    pairs: list[dict] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{name}:{lineno}: not valid JSON ({e.msg})") from None
        except RecursionError:
            raise ValueError(f"{name}:{lineno}: nests too deeply to be a pair") from None
        if not isinstance(obj, dict):
            raise ValueError(f"{name}:{lineno}: expected a JSON object with {' and '.join(keys)}")
        missing = [k for k in keys if k not in obj]
        if missing:
            raise ValueError(f"{name}:{lineno}: missing key(s) {', '.join(missing)}")
        bad = [k for k in keys if not isinstance(obj[k], str)]
        if bad:
            raise ValueError(f"{name}:{lineno}: key(s) {', '.join(bad)} must be strings")
        pairs.append(obj)
    return pairs
