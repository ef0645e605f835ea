"""Counterfactual attention for a generated summary (after Jain & Wallace 2019, Serrano & Smith 2019,
Wiegreffe & Pinter 2019, who asked it of classifiers): does the model need its attention, or only
something with the same total weight?

The summary is re-scored teacher-forced with each decoder step's cross-attention replaced (the context,
the copy distribution and coverage then all follow the replacement), in one batch of four rows:
the original, then (a) ``uniform``: the source's attention mass spread evenly over the source tokens;
(b) ``permuted``: each step's source weights shuffled (a seeded permutation per step); (c) ``top_k_removed``:
the k most attended tokens' weights zeroed and the rest renormalised to the same source mass. The null
slot keeps its weight throughout, so every variant changes *where* attention goes, not how much of it goes
to the source. Per summary token: the change of its log-probability and whether greedy decoding (argmax
of that step's distribution, the prefix forced) still picks it. One teacher-forced pass in all.
Pointer-generator models only (the attention of a Hugging Face model is inside every decoder layer).
Shapes: T summary tokens, S source tokens, H heads.
"""
from __future__ import annotations

import torch
from torch import Tensor

from attnviz.errors import InputError
from attnviz.measures import Counterfactual
from attnviz.models.pointer.scorer import PointerScorer
from attnviz.models.pointer.vocabulary import BOS_ID
from attnviz.models.scorer import Scorer

VARIANTS = ("uniform", "permuted", "top_k_removed")
DEFAULT_TOP_K = 3


def replaced(weights: Tensor, generator: torch.Generator, k: int) -> Tensor:
    """weights [4, (H,) S + 1] (source positions, then the null slot; one source in four rows) → row 0 as is,
    row 1 uniform, row 2 permuted, row 3 top-k removed (see the module docstring)."""
    source, null = weights[..., :-1], weights[..., -1:]
    mass = source.sum(dim=-1, keepdim=True)
    uniform = mass.expand_as(source) / source.shape[-1]
    order = torch.randperm(source.shape[-1], generator=generator).to(source.device)
    permuted = source[..., order]
    top = source.topk(min(k, source.shape[-1]), dim=-1).indices
    kept = source.scatter(-1, top, 0.0)
    rest = kept.sum(dim=-1, keepdim=True)
    spread = torch.where(rest > 0, kept * mass / rest.clamp_min(1e-30), kept)   # k ≥ S: only the null slot is left
    rows = torch.cat([torch.stack([source[0], uniform[1], permuted[2], spread[3]]), null], dim=-1)
    return rows / rows.sum(dim=-1, keepdim=True)


@torch.no_grad()
def counterfactual_attention(scorer: Scorer, *, k: int = DEFAULT_TOP_K, seed: int = 0) -> Counterfactual:
    """The three counterfactuals of the scorer's summary (one teacher-forced pass of four rows)."""
    import time

    if not isinstance(scorer, PointerScorer):
        raise InputError("counterfactual attention needs a pointer-generator model (attnviz checkpoint); a Hugging "
                         "Face model's cross-attention lives inside every decoder layer")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k (the top attended tokens removed) must be a whole number of at least 1, not {k!r}")
    start = time.perf_counter()
    model, rows = scorer.model, len(VARIANTS) + 1
    ids, ext = scorer.ids.expand(rows, -1), scorer.ext_ids.expand(rows, -1)
    targets = scorer.targets.expand(rows, -1)                                  # (4, T)
    generator = torch.Generator().manual_seed(seed)
    scorer.forward_passes += rows
    model.attention.override = lambda weights, gate: replaced(weights, generator, k)
    try:
        enc, state = model.encode(ids, ext, torch.ones_like(ids, dtype=torch.bool))
        prev = torch.full_like(targets[:, 0], BOS_ID)
        logps, same = [], []
        for t in range(targets.shape[1]):
            out = model.step(prev, state, enc)
            logps.append(out.log_probs.gather(1, targets[:, t:t + 1]).squeeze(1))
            same.append(out.log_probs.argmax(dim=-1) == targets[:, t])
            state, prev = out.state, targets[:, t]
    finally:
        model.attention.override = None
    logp = torch.stack(logps, dim=1).double().cpu().numpy()                    # (4, T)
    keep = torch.stack(same, dim=1).cpu().numpy()
    return Counterfactual(k=k, seed=seed, original=logp[0], original_greedy=keep[0],
                          change={v: logp[i + 1] - logp[0] for i, v in enumerate(VARIANTS)},
                          same_greedy={v: keep[i + 1] for i, v in enumerate(VARIANTS)},
                          seconds=time.perf_counter() - start)
