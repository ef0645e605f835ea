"""Faithfulness of each method in two corpus reports side by side (e.g. a model before and after retraining).

    .venv/bin/python scripts/compare_reports.py BEFORE/report.json AFTER/report.json

For each report and method: AOPC comprehensiveness (higher = more faithful) and sufficiency (lower =
better), mean ± std over the documents, and the per-document difference to the random-order baseline
(method − random for comprehensiveness, random − method for sufficiency: positive = better than chance),
mean ± std, with the share of documents where the method beat random.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

FIGURES = (("aopc_comprehensiveness", 1), ("aopc_sufficiency", -1))


def per_document(report: dict, method: str, figure: str) -> np.ndarray:
    """The figure of ``method`` in every document that has it and the random baseline → [D, 2]."""
    rows = []
    for doc in report["documents"]:
        f = doc.get("faithfulness", {})
        value, chance = f.get(method, {}).get(figure), f.get("random", {}).get(figure)
        if value is not None and chance is not None:
            rows.append((value, chance))
    return np.array(rows, dtype=float).reshape(-1, 2)


def table(report: dict, name: str) -> None:
    methods = [m for m in report["aggregate"]["faithfulness"] if m != "random"]
    print(f"\n{name}: {report['aggregate']['documents']} documents, model {report['settings'].get('model') or 'shipped'}")
    print(f"{'method':22s} {'AOPC compr.':>15s} {'vs random':>16s} {'beats':>6s}   {'AOPC suff.':>15s} {'vs random':>16s} {'beats':>6s}")
    for method in methods + ["random"]:
        cells = []
        for figure, sign in FIGURES:
            values = per_document(report, method, figure)
            gain = sign * (values[:, 0] - values[:, 1])
            cells.append(f"{values[:, 0].mean():7.2f} ± {values[:, 0].std():5.2f} "
                         + (f"{gain.mean():+7.2f} ± {gain.std():5.2f} {np.mean(gain > 0):6.0%}" if method != "random"
                            else f"{'':16s} {'':6s}"))
        print(f"{method:22s} {cells[0]}   {cells[1]}")


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for path in paths:
        table(json.loads(Path(path).read_text(encoding="utf-8")), path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
