"""attnviz beside Inseq on one Hugging Face model and text, with the same methods, steps and samples.

    make .inseq-lib/.installed
        (make test does it: pip install --no-deps --target .inseq-lib -r requirements-inseq.txt)
    python benchmarks/inseq_compare.py [--model FOLDER | --tiny] [--tokens 120] [--summary-tokens 8] [--n-steps 32] [--samples 300]

Inseq stays out of attnviz's requirements: it is imported from ``.inseq-lib`` (git-ignored), beside this
venv's torch and transformers. Without ``--model``, a model of bart-base's shape with random weights is built
(``benchmarks/hf_model.py``). Both tools explain the same forced summary with the same decoder prefix (the
one Inseq builds from the summary text), token for token.

They explain different functions, so most values are compared by Pearson r per summary token, not by
equality: attnviz's target is log P(token) as a function of token presence (absent = masked out of every
attention, IG from "all absent"), Inseq's is the step function on token embeddings (here log-probability;
IG from zero embeddings, occlusion and LIME replacing a token's embedding by zeros, saliency reduced over the
embedding by Inseq's default aggregation). Attention is the same quantity in both (cross-attention, mean over
layers and heads), so it is also compared by its largest difference.
Prints, per method: seconds for each tool (medians of ``--runs``, the tools alternating), the ratio, the
median and minimum Pearson r over the summary tokens; then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from attnviz.examples import article  # noqa: E402
from attnviz.explain import METHODS  # noqa: E402
from attnviz.models.loading import load_model  # noqa: E402
from benchmarks.common import clock, median  # noqa: E402
from benchmarks.hf_model import build  # noqa: E402

METHOD_NAMES = ("attention", "saliency", "input_x_gradient", "integrated_gradients", "occlusion", "lime")


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r between row t of a and row t of b → [T] (NaN for a constant row)."""
    out = np.full(a.shape[0], np.nan)
    for t in range(a.shape[0]):
        if np.ptp(a[t]) > 0 and np.ptp(b[t]) > 0:
            out[t] = np.corrcoef(a[t], b[t])[0, 1]
    return out


def tiny_text(words: int) -> str:
    """``words`` words of the tiny test models' vocabulary (seeded): what ``--tiny`` explains."""
    from tests import hf_models

    vocabulary = [w for w in hf_models.WORDS if w.isalpha()]
    return " ".join(np.random.default_rng(0).choice(vocabulary, words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a save_pretrained folder (default: bart-base's shape, random)")
    parser.add_argument("--tiny", action="store_true",
                        help="the tests' tiny BART on words of its vocabulary, summary forced to the text's first "
                             "words (seconds, not minutes)")
    parser.add_argument("--tokens", type=int, default=120)
    parser.add_argument("--summary-tokens", type=int, default=8)
    parser.add_argument("--n-steps", type=int, default=32)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="runs per tool and method, alternating (medians)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / ".inseq-lib"))
    try:
        import inseq
    except ImportError:
        sys.exit("inseq is not installed beside attnviz: make .inseq-lib/.installed")
    work = Path(tempfile.mkdtemp(prefix="attnviz-inseq-"))
    if args.tiny:
        from tests import hf_models

        folder = hf_models.save("bart", work / "tiny-bart")
    else:
        folder = Path(args.model) if args.model else build(work / "bart-base-shape")
    ours = load_model(folder, device="cpu", max_source_tokens=args.tokens)
    source = tiny_text(args.tokens) if args.tiny else article(args.tokens)[0]
    text = ours.tokenizer.decode(ours.encode(source).ids)                               # exactly what both read
    if args.tiny:                       # a random tiny model's own summary is mostly special tokens: force words
        summary = " ".join(text.split()[:args.summary_tokens])
    else:
        summary = ours.tokenizer.decode(ours.summarize(text).summary_ids[:args.summary_tokens])
    theirs = inseq.load_model(str(folder), "saliency")
    special = set(ours.tokenizer.all_special_ids) - {ours.tokenizer.unk_token_id}      # <unk> is a word here
    params = {"integrated_gradients": {"n_steps": args.n_steps, "max_steps": args.n_steps, "path_power": 1},
              "lime": {"n_samples": args.samples}}
    rows, prefix, generation = {}, None, None
    for name in METHOD_NAMES:
        extra = {"n_steps": args.n_steps} if name == "integrated_gradients" else (
            {"n_samples": args.samples} if name == "lime" else {})
        inseq_times, ours_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            out = theirs.attribute(input_texts=text, generated_texts=summary, method=name, show_progress=False,
                                   attributed_fn="probability", step_scores_args={"logprob": True}, **extra)
            inseq_times.append(time.perf_counter() - start)
            if generation is not None:
                ours_times.append(clock(lambda: METHODS[name](ours.scorer(generation), **params.get(name, {})))[0])
        attribution = out.sequence_attributions[0]
        if generation is None:                      # the same targets and decoder prefix as Inseq's
            target_ids = [t.id for t in attribution.target]
            first = next(i for i, t in enumerate(target_ids[1:], 1) if t not in special)
            prefix = target_ids[:first]
            generation = ours.force(text, summary, decoder_prefix=prefix)
        aggregated = attribution.aggregate().source_attributions.float().numpy()           # (S', steps)
        source_rows = [i for i, t in enumerate(attribution.source) if t.id not in special]
        steps = [i - 1 for i, t in enumerate(attribution.target) if i >= len(prefix) and t.id not in special]
        theirs_ts = aggregated[np.ix_(source_rows, steps)].T                                # (T, S)
        seconds, result = clock(lambda: METHODS[name](ours.scorer(generation), **params.get(name, {})))
        mine, ours_s, inseq_s = result.scores, median(ours_times + [seconds]), median(inseq_times)
        if theirs_ts.shape != mine.shape:
            sys.exit(f"{name}: Inseq gave {theirs_ts.shape}, attnviz {mine.shape}: the tokens do not line up")
        r = pearson_rows(np.abs(mine) if name == "saliency" else mine, theirs_ts)
        rows[name] = {"attnviz_s": round(ours_s, 2), "inseq_s": round(inseq_s, 2),
                      "ratio": round(inseq_s / max(ours_s, 1e-9), 1), "median_r": round(float(np.nanmedian(r)), 3),
                      "min_r": round(float(np.nanmin(r)), 3)}
        if name == "attention":
            rows[name]["max_abs_diff"] = float(np.abs(mine - theirs_ts).max())
        print(f"{name:22s} attnviz {ours_s:7.2f} s  inseq {inseq_s:7.2f} s  ×{rows[name]['ratio']:<6} "
              f"r median {rows[name]['median_r']:+.3f} min {rows[name]['min_r']:+.3f}"
              + (f"  max |Δ| {rows[name]['max_abs_diff']:.1e}" if name == "attention" else ""), flush=True)
    print(json.dumps({"source_tokens": len(generation.source_tokens), "summary_tokens": len(generation.summary_tokens),
                      "decoder_prefix": prefix, "methods": rows}))


if __name__ == "__main__":
    main()
