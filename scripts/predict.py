"""Write a model's summaries of a pairs file as JSONL ({"prediction": ...} per line, in order), so that two
models can be compared pair by pair (``python -m attnviz evaluate --compare-predictions FILE``).

    .venv/bin/python scripts/predict.py --pairs data/news/test.jsonl --out runs/predictions.jsonl [--model DIR]

It uses only ``PointerSummarizer.from_checkpoint(...).summarize(text)`` (``attnviz.pipeline.Summarizer`` before
attnviz/models/) with the default decoding settings, so it also runs against an older checkout of attnviz (put
that checkout first on PYTHONPATH) to get the predictions of a model the current code no longer loads.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))     # after PYTHONPATH: an older checkout there wins

try:
    from attnviz.models.pointer.summarizer import PointerSummarizer
except ImportError:                                               # a checkout from before attnviz/models/
    from attnviz.pipeline import Summarizer as PointerSummarizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    summarizer = PointerSummarizer.from_checkpoint(args.model, device="cpu")
    lines = [json.loads(line) for line in Path(args.pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    with open(args.out, "w", encoding="utf-8") as out:
        for pair in lines:
            out.write(json.dumps({"prediction": summarizer.summarize(pair["text"]).summary}) + "\n")
    print(f"wrote {len(lines)} predictions of {summarizer.name} to {args.out}")


if __name__ == "__main__":
    main()
