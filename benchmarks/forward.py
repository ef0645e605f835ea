"""The shipped model's teacher-forced pass on a long source: the current code against the baseline.

    python benchmarks/forward.py [--tokens 2000] [--summary-tokens 16] [--masks 32] [--runs 5] [--model NAME]

Two changes, each measured: Bahdanau's scores v · tanh(x) are computed as 2 v · σ(2x) − Σv (the same
function: torch's CPU tanh is several times slower than its sigmoid), and teacher forcing without gradients
computes the vocabulary logits of every step in one product after the decoder loop instead of one per step
(the baseline reads the [V, E] output weight T times; with gradients both go step by step). Forms:
``baseline`` (tanh, logits per step), ``sigmoid`` (sigmoid, logits per step), ``current`` (sigmoid, logits
once without gradients). Alternating the forms ``--runs`` times, this times ``--masks`` random presence
masks scored without gradients (what occlusion, LIME and SHAP pay per evaluation) and, on the scorer's
batch, one forward pass with gradients and one backward pass per summary token (IG's unit per batch of nodes),
on a ``--tokens``-token news article with a ``--summary-tokens``-token summary. Prints the medians, the
ratios to the baseline, the largest difference in the scored log-probabilities, and one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.models.pointer.attention import AdditiveAttention  # noqa: E402
from attnviz.models.pointer.seq2seq import PointerGenerator  # noqa: E402
from benchmarks.common import clock, median, setup  # noqa: E402


def tanh_scores(self: AdditiveAttention, query: torch.Tensor, keys: torch.Tensor,
                coverage: torch.Tensor | None) -> torch.Tensor:
    """The baseline: v · tanh(W_m m + W_q q + w_c c) as written [B, N]."""
    feature = keys + self.query_proj(query).unsqueeze(1)
    if self.coverage_proj is not None and coverage is not None:
        feature = feature + self.coverage_proj(coverage.unsqueeze(-1))
    return self.v(torch.tanh(feature)).squeeze(-1)


def logprobs_per_step(self: PointerGenerator, *args: torch.Tensor) -> torch.Tensor:
    """The baseline: the vocabulary logits and their log-softmax step by step, with or without gradients [B, T]."""
    return CURRENT["logprobs"](self, *args, by_step=True)


CURRENT = {"scores": AdditiveAttention.scores, "logprobs": PointerGenerator._target_logprobs}
FORMS = {"baseline": (tanh_scores, logprobs_per_step), "sigmoid": (CURRENT["scores"], logprobs_per_step),
         "current": (CURRENT["scores"], CURRENT["logprobs"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--masks", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    summarizer, generation, origin = setup(args.model, args.tokens, args.summary_tokens, args.device)
    scorer = summarizer.scorer(generation)
    if summarizer.model.config.attention != "additive":
        sys.exit(f"{origin}: the model's attention is {summarizer.model.config.attention}, not additive")
    generator = torch.Generator().manual_seed(0)
    keep = (torch.rand(args.masks, scorer.source_len, generator=generator) < 0.5).float()
    gates = torch.rand(scorer.batch_size, scorer.source_len, generator=generator)

    def score() -> torch.Tensor:
        return scorer.score_keep(keep)

    def gradient() -> torch.Tensor:
        """As Integrated Gradients at one batch of path points: one forward, one backward per summary token."""
        presence = gates.clone().requires_grad_()
        out = scorer.score_presence(presence)                            # (N, T)
        rows = out.shape[1]
        return torch.stack([scorer.gradients(out[:, t], presence, retain_graph=t < rows - 1) for t in range(rows)])

    print(f"{origin}: {scorer.source_len} source tokens, {scorer.summary_len} summary tokens; {args.masks} masks "
          f"scored, one gradient on {scorer.batch_size} sources; {args.runs} runs each, alternating")
    times: dict[str, dict[str, list[float]]] = {form: {"score": [], "gradient": []} for form in FORMS}
    outputs: dict[str, torch.Tensor] = {}
    score()                                                              # warm-up: the first pass is slower
    for _ in range(args.runs):
        for form, (scores, logprobs) in FORMS.items():
            AdditiveAttention.scores, PointerGenerator._target_logprobs = scores, logprobs
            try:
                seconds, outputs[form] = clock(score)
                times[form]["score"].append(seconds)
                times[form]["gradient"].append(clock(gradient)[0])
            finally:
                AdditiveAttention.scores, PointerGenerator._target_logprobs = CURRENT["scores"], CURRENT["logprobs"]
    medians = {form: {what: median(v) for what, v in per.items()} for form, per in times.items()}
    for what, unit, count in (("score", "mask", args.masks), ("gradient", "source", scorer.batch_size)):
        cells = "".join(f"   {form} {1000 * medians[form][what] / count:6.1f}" for form in FORMS)
        ratios = ", ".join(f"{form} {medians['baseline'][what] / medians[form][what]:.2f}×" for form in FORMS
                           if form != "baseline")
        print(f"{what:9s} ms/{unit}:{cells}   baseline / {ratios}")
    difference = max(float((outputs["baseline"] - out).abs().max()) for out in outputs.values())
    print(f"largest difference in scored log-probabilities: {difference:.2e} nats")
    print(json.dumps({"tokens": scorer.source_len, "summary_tokens": scorer.summary_len, "masks": args.masks,
                      "batch": scorer.batch_size, "runs": args.runs, "medians_s": medians,
                      "max_abs_difference": difference, "device": args.device}))


if __name__ == "__main__":
    main()
