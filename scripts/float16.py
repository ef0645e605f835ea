"""Ship a checkpoint in float16 only where that changes no summary: summarize every text of a pairs file with
the float32 checkpoint and with its float16 copy (default decoding settings), print how many summaries are
identical, and keep the float16 weights in ``--out`` only if all are (float32 otherwise).

    .venv/bin/python scripts/float16.py --model runs/MH --out pretrained/news-multihead --pairs data/news/test.jsonl
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.data import read_pairs  # noqa: E402
from attnviz.models.pointer.checkpoint import WEIGHTS, load_checkpoint, save_checkpoint  # noqa: E402
from attnviz.models.pointer.summarizer import PointerSummarizer  # noqa: E402


def summaries(folder: Path, texts: list[str]) -> list[str]:
    return [PointerSummarizer.from_checkpoint(folder, device="cpu").summarize(t).summary for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="the trained (float32) checkpoint folder")
    parser.add_argument("--out", required=True, type=Path, help="where the shipped checkpoint is written")
    parser.add_argument("--pairs", required=True, type=Path)
    args = parser.parse_args()
    texts = [p["text"] for p in read_pairs(args.pairs)]
    start = time.perf_counter()
    full = summaries(args.model, texts)
    model, vocab, metadata = load_checkpoint(args.model)
    save_checkpoint(args.out, model, vocab, metadata, half=True)
    half = summaries(args.out, texts)
    same = sum(a == b for a, b in zip(full, half))
    print(f"{same} of {len(texts)} summaries identical in float16 ({time.perf_counter() - start:.0f} s)")
    if same < len(texts):
        save_checkpoint(args.out, model, vocab, metadata)
        print("kept float32 weights")
    for (a, b) in [(a, b) for a, b in zip(full, half) if a != b][:5]:
        print(f"  float32: {a}\n  float16: {b}")
    print(f"{args.out / WEIGHTS}: {(args.out / WEIGHTS).stat().st_size / 2**20:.1f} MB")


if __name__ == "__main__":
    main()
