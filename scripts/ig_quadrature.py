"""How fast Integrated Gradients' quadrature converges on the shipped model, by node count and path power.

    .venv/bin/python scripts/ig_quadrature.py [--tokens 300] [--summary-tokens 16] [--reference 400]

The benchmark's input (a news test article cut to ``--tokens``, its beam-4 summary forced to
``--summary-tokens``). For Gauss-Legendre nodes u moved to α = u^p (p = 1 is captum's rule), prints the
worst |φ − φ_ref| over all rows and tokens against ``--reference`` nodes at p = 3, and the worst row's
completeness error relative to attnviz's rule max(1% of |f(all) − f(none)|, 1e-3 nats) with the number of
rows that miss it.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from attnviz.bench_explain import _setup
from attnviz.explain import ForcedScorer
from attnviz.explain.gradients import PathGradients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--reference", type=int, default=400)
    args = parser.parse_args()
    summarizer, generation, origin = _setup(None, args.tokens, args.summary_tokens)
    scorer = ForcedScorer(summarizer.model, generation)
    rows = list(range(scorer.summary_len))
    with torch.no_grad():
        ends = scorer.score_keep(torch.stack([torch.ones(scorer.source_len), torch.zeros(scorer.source_len)]))
    gap = (ends[0] - ends[1]).double().numpy()
    allowed = np.maximum(0.01 * np.abs(gap), 1e-3)

    def ig(n: int, power: int) -> np.ndarray:
        return PathGradients(scorer).integral(rows, n, "gausslegendre", power).double().numpy()

    reference = ig(args.reference, 3)
    print(f"{origin}: {scorer.source_len} source tokens, T={scorer.summary_len}; reference {args.reference} nodes, p=3")
    print(f"plain Gauss-Legendre at {args.reference} nodes against it: {np.abs(ig(args.reference, 1) - reference).max():.1e}")
    print(f"{'p':>2s} {'nodes':>6s} {'max|φ−ref|':>11s} {'worst δ/allowed':>16s} {'rows missing':>13s}")
    for power in (1, 2, 3):
        for n in (16, 24, 32, 50):
            phi = ig(n, power)
            ratio = np.abs(phi.sum(axis=1) - gap) / allowed
            print(f"{power:2d} {n:6d} {np.abs(phi - reference).max():11.1e} {ratio.max():16.2f} {int((ratio > 1).sum()):13d}")


if __name__ == "__main__":
    main()
