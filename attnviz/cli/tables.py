"""The command line's printed tables: stability, counterfactual attention, per-head faithfulness, the corpus
report's model, token-kind and counterfactual tables, and a progress bar."""
from __future__ import annotations

import sys


def print_stability(explanation) -> None:
    """Each sampling method over its seeds: rank τ between seeds, the largest score spread, and Spearman ρ
    with attention as mean ± std over seeds, differences within twice the spread marked as noise."""
    from attnviz.stability import agreement_spread, within_noise

    spread = agreement_spread(explanation.stability, "spearman_rho")
    print(f"\nstability over seeds ({'; '.join(f'{m}: {list(s.seeds)}' for m, s in explanation.stability.items())})")
    print(f"{'method':22s} {'rank τ between seeds':>21s} {'largest std':>12s} {'Spearman ρ with attention':>26s}")
    for name, s in explanation.stability.items():
        print(f"{name:22s} {s.mean_rank_tau:21.3f} {s.std.max():12.4f} "
              f"{spread[name]['mean']:17.3f} ± {spread[name]['std']:.3f}")
    names = list(spread)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if within_noise(spread[a]["mean"], spread[b]["mean"], [spread[a]["std"], spread[b]["std"]]):
                print(f"  {a} and {b}: their agreement with attention differs by less than twice the seeds' spread (noise)")


def print_counterfactual(result) -> None:
    """Each counterfactual's mean and largest change of the summary tokens' log-probabilities and the share of
    tokens greedy decoding would still pick."""
    print(f"\ncounterfactual attention (1 teacher-forced pass of 4 rows, {result.seconds:.2f} s; top k = {result.k})")
    print(f"{'variant':16s} {'mean Δ log-prob':>16s} {'largest drop':>13s} {'same greedy token':>18s}")
    for variant, figures in result.summary().items():
        print(f"{variant:16s} {figures['mean_change']:16.3f} {figures['largest_drop']:13.3f} "
              f"{figures['same_greedy_share']:18.0%}")


def shortened(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def print_head_faithfulness(heads) -> None:
    """AOPC comprehensiveness per layer (rows) and head (columns), the most faithful head and chance."""
    print("\nAOPC comprehensiveness of each head's attention (higher: more faithful)")
    print("layer " + "".join(f"{'head ' + str(h):>9s}" for h in range(heads.comprehensiveness.shape[1])))
    for layer, row in enumerate(heads.comprehensiveness):
        print(f"{layer:5d} " + "".join(f"{v:9.3f}" for v in row))
    layer, head = heads.most_faithful()
    print(f"most faithful: layer {layer}, head {head}; random order: {heads.random['comprehensiveness']:.3f} "
          f"± {heads.random['comprehensiveness_std']:.3f}")


def progress_bar(done: int, total: int) -> None:
    """A one-line progress bar on standard error."""
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} documents", end=end, file=sys.stderr, flush=True)


def print_models_table(table: list[dict]) -> None:
    """Every model × method: Spearman ρ with its model's attention and AOPC comprehensiveness / sufficiency,
    each as mean [bootstrap 95% interval]."""
    from attnviz.report import interval_text as cell

    print(f"{'model':28s} {'method':22s} {'Spearman ρ with attention':>26s} {'AOPC comprehensiveness':>26s} "
          f"{'AOPC sufficiency':>26s}")
    for row in table:
        print(f"{row['model'][:28]:28s} {row['method'][:22]:22s} "
              f"{cell((row['agreement_with_attention'] or {}).get('spearman_rho')):>26s} "
              f"{cell(row['aopc_comprehensiveness']):>26s} {cell(row['aopc_sufficiency']):>26s}")


def print_token_kinds(rows: list[dict]) -> None:
    """Copied versus generated summary tokens: each method's Spearman ρ with attention and AOPC
    comprehensiveness over those tokens only, mean [bootstrap 95% interval]."""
    from attnviz.report import COPIED_BELOW
    from attnviz.report import interval_text as cell

    if not rows:
        return
    print(f"\ncopied (p_gen < {COPIED_BELOW}) or generated summary tokens")
    print(f"{'model':28s} {'method':22s} {'tokens':>10s} {'share':>22s} {'Spearman ρ with attention':>26s} "
          f"{'AOPC comprehensiveness':>26s}")
    for row in rows:
        print(f"{row['model'][:28]:28s} {row['method'][:22]:22s} {row['kind']:>10s} {cell(row['share']):>22s} "
              f"{cell(row['spearman_rho']):>26s} {cell(row['aopc_comprehensiveness']):>26s}")


def print_counterfactual_rows(rows: list[dict]) -> None:
    """Counterfactual attention per model and variant, mean [bootstrap 95% interval] over documents."""
    from attnviz.report import interval_text as cell

    if not rows:
        return
    print("\ncounterfactual attention (summary tokens re-scored with attention replaced)")
    print(f"{'model':28s} {'attention':16s} {'mean Δ log-prob':>26s} {'greedy token kept':>26s}")
    for row in rows:
        print(f"{row['model'][:28]:28s} {row['variant']:16s} {cell(row['mean_change']):>26s} "
              f"{cell(row['same_greedy_share']):>26s}")
