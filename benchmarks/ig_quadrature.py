"""How fast Integrated Gradients' quadrature converges on the shipped model, by node count and path power.

    python benchmarks/ig_quadrature.py [--tokens 300] [--summary-tokens 16] [--reference 400]

The explanation benchmark's input (a news test article cut to ``--tokens``, its beam-4 summary forced to
``--summary-tokens``). For Gauss-Legendre nodes u moved to α = u^p (p = 1 is captum's rule), prints the
worst |φ − φ_ref| over all rows and tokens against ``--reference`` nodes at p = 3, and the worst row's
completeness error relative to the method's own rule (max(1% of |f(all) − f(none)|, 1e-3 nats) at its
defaults) with the number of rows that miss it. Every figure comes from ``integrated_gradients`` run at a
fixed node count (``max_steps = n_steps``: no refinement).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from attnviz.explain import METHODS  # noqa: E402
from attnviz.models.scorer import Scorer  # noqa: E402
from attnviz.types import Attribution  # noqa: E402
from benchmarks.common import setup  # noqa: E402


def fixed_nodes(scorer: Scorer, n: int, power: int) -> Attribution:
    """Integrated gradients on exactly ``n`` Gauss-Legendre nodes at α = u^``power``."""
    return METHODS["integrated_gradients"](scorer, n_steps=n, max_steps=n, method="gausslegendre", path_power=power)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--summary-tokens", type=int, default=16)
    parser.add_argument("--reference", type=int, default=400, help="nodes of the reference quadrature (p = 3)")
    args = parser.parse_args()
    summarizer, generation, origin = setup(None, args.tokens, args.summary_tokens)
    scorer = summarizer.scorer(generation)
    reference = fixed_nodes(scorer, args.reference, 3).scores
    plain = fixed_nodes(scorer, args.reference, 1).scores
    print(f"{origin}: {scorer.source_len} source tokens, T={scorer.summary_len}; reference {args.reference} nodes, p=3")
    print(f"plain Gauss-Legendre at {args.reference} nodes against it: {np.abs(plain - reference).max():.1e}")
    print(f"{'p':>2s} {'nodes':>6s} {'max|φ−ref|':>11s} {'worst δ/allowed':>16s} {'rows missing':>13s}")
    for power in (1, 2, 3):
        for n in (16, 24, 32, 50):
            result = fixed_nodes(scorer, n, power)
            ratio = np.abs(result.checks["convergence_delta"]) / np.asarray(result.checks["allowed_delta"])
            print(f"{power:2d} {n:6d} {np.abs(result.scores - reference).max():11.1e} {ratio.max():16.2f} "
                  f"{int((ratio > 1).sum()):13d}")


if __name__ == "__main__":
    main()
