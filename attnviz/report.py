"""Agreement and faithfulness of explained summaries: one document (CLI ``explain --json``, the app) and a
corpus report (``python -m attnviz report``) whose documents fan out over Dask.

Per document: every method × method pair's agreement metrics averaged over the summary tokens, and every
method's faithfulness (AOPC comprehensiveness and sufficiency) beside the random-order baseline. The
corpus report gives the mean, standard deviation and count of each figure over the documents.
"""
from __future__ import annotations

import html
import json
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go

from attnviz.compare import METRICS, agreement_matrices, agreement_rows
from attnviz.decoding import DecodingSettings
from attnviz.errors import AttnvizError
from attnviz.explain import Attribution, ForcedScorer, explain
from attnviz.faithfulness import RANDOM, faithfulness

DEFAULT_REPORT_METHODS = ("attention", "integrated_gradients", "occlusion", "lime")


def finite(value: Any) -> Any:
    """NaN/inf → None throughout lists and dicts (strict JSON); numpy → plain Python."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [finite(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def compare_results(scorer: ForcedScorer, results: dict[str, Attribution], *, random_orders: int = 10,
                    seed: int = 0) -> dict[str, Any]:
    """The ``agreement`` and ``faithfulness`` sections for one explained summary (plain JSON values)."""
    scores = {name: a.scores for name, a in results.items()}
    names = list(scores)
    agreement: dict[str, Any] = {"methods": names,
                                 "matrices": agreement_matrices(scores)}
    if "attention" in scores:
        agreement["with_attention_per_token"] = {name: agreement_rows(scores["attention"], s)
                                                 for name, s in scores.items() if name != "attention"}
    figures, cost = faithfulness(scorer, scores, random_orders=random_orders, seed=seed)
    return finite({"agreement": agreement,
                   "faithfulness": {"methods": {name: f.to_json() for name, f in figures.items()}, "cost": cost}})


# ------------------------------------------------------------------ one document of a corpus

@dataclass(frozen=True)
class ReportSettings:
    """What every document of a report is explained with (picklable, sent to Dask workers)."""

    model: str | None = None
    methods: tuple[str, ...] = DEFAULT_REPORT_METHODS
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    decoding: DecodingSettings = field(default_factory=DecodingSettings)
    random_orders: int = 10
    seed: int = 0
    max_source_tokens: int | None = None     # default: the model's own limit


_SUMMARIZERS: dict[tuple[str | None, int | None], Any] = {}


def _summarizer(model: str | None, max_source_tokens: int | None = None):
    """One loaded model per process (Dask workers keep theirs between documents); CPU, 1 thread."""
    key = (model, max_source_tokens)
    if key not in _SUMMARIZERS:
        import torch

        from attnviz.pipeline import Summarizer

        torch.set_num_threads(1)
        _SUMMARIZERS[key] = Summarizer.from_checkpoint(model, device="cpu", max_source_tokens=max_source_tokens)
    return _SUMMARIZERS[key]


def document_figures(text: str, settings: ReportSettings) -> dict[str, Any]:
    """Summarize and explain one text; → its per-pair agreement means and per-method AOPC figures (or,
    for a text that cannot be summarized, its error message and no figures)."""
    start = time.perf_counter()
    summarizer = _summarizer(settings.model, settings.max_source_tokens)
    try:
        generation = summarizer.summarize(text, settings.decoding)
        ForcedScorer(summarizer.model, generation)                          # refuses an empty summary
    except AttnvizError as exc:
        return {"error": str(exc), "pairs": {}, "faithfulness": {}, "seconds": round(time.perf_counter() - start, 3)}
    results = explain(summarizer.model, generation, list(settings.methods), params=settings.params)
    sections = compare_results(ForcedScorer(summarizer.model, generation), results,
                               random_orders=settings.random_orders, seed=settings.seed)
    names = sections["agreement"]["methods"]
    pairs = {f"{a} | {b}": {m: sections["agreement"]["matrices"][m][i][j] for m in METRICS}
             for i, a in enumerate(names) for j, b in enumerate(names) if i < j}
    faith = {name: {"aopc_comprehensiveness": f["aopc_comprehensiveness"], "aopc_sufficiency": f["aopc_sufficiency"]}
             for name, f in sections["faithfulness"]["methods"].items()}
    return {"summary": generation.summary, "source_tokens": len(generation.source_tokens),
            "summary_tokens": len(generation.summary_tokens), "pairs": pairs, "faithfulness": faith,
            "seconds": round(time.perf_counter() - start, 3)}


def aggregate(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, standard deviation and count (over documents, ignoring missing values) of every figure."""
    def stats(values: Iterable[Any]) -> dict[str, Any]:
        v = np.array([x for x in values if x is not None], dtype=np.float64)
        return {"mean": float(v.mean()) if v.size else None, "std": float(v.std()) if v.size else None,
                "n": int(v.size)}

    pairs = sorted({p for d in documents for p in d["pairs"]})
    methods = list(dict.fromkeys(m for d in documents for m in d["faithfulness"]))
    return {"documents": len(documents), "failed": sum("error" in d for d in documents),
            "agreement": {p: {m: stats(d["pairs"].get(p, {}).get(m) for d in documents) for m in METRICS}
                          for p in pairs},
            "faithfulness": {name: {k: stats(d["faithfulness"].get(name, {}).get(k) for d in documents)
                                    for k in ("aopc_comprehensiveness", "aopc_sufficiency")} for name in methods}}


# ------------------------------------------------------------------ running a corpus

def run_report(texts: list[str], settings: ReportSettings, *, scheduler: str | None = None, workers: int = 2,
               serial: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Every text through ``document_figures``, serially or over Dask (a local cluster of ``workers``
    single-threaded processes, or the cluster at ``scheduler``); documents keep their input order."""
    start = time.perf_counter()
    if serial:
        documents = []
        for i, text in enumerate(texts):
            documents.append(document_figures(text, settings))
            if progress:
                progress(i + 1, len(texts))
        mode = "serial"
    else:
        documents, mode = _run_dask(texts, settings, scheduler, workers, progress)
    seconds = time.perf_counter() - start
    return finite({"settings": _settings_json(settings), "mode": mode, "seconds": round(seconds, 2),
                   "documents_per_minute": round(60 * len(texts) / seconds, 2) if seconds > 0 else None,
                   "aggregate": aggregate(documents), "documents": documents})


# Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 in their workers; glibc then hands freed tensor memory
# back to the OS at once and torch runs ~1.5× slower here (measured: 14.8 s against 10.1 s per document).
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def _run_dask(texts, settings, scheduler, workers, progress) -> tuple[list[dict[str, Any]], str]:
    import dask
    from distributed import Client, LocalCluster, as_completed

    if scheduler:
        client, cluster, mode = Client(scheduler), None, f"dask scheduler {scheduler}"
    else:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client, mode = Client(cluster), f"dask local cluster, {workers} workers"
    try:
        futures = client.map(document_figures, texts, settings=settings, pure=False)
        order = {f.key: i for i, f in enumerate(futures)}
        documents: list[dict[str, Any] | None] = [None] * len(texts)
        for done, future in enumerate(as_completed(futures), 1):
            documents[order[future.key]] = future.result()
            if progress:
                progress(done, len(texts))
        return documents, mode
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _settings_json(settings: ReportSettings) -> dict[str, Any]:
    out = asdict(settings)
    out["methods"] = list(settings.methods)
    return out


def progress_bar(done: int, total: int) -> None:
    """A one-line progress bar on standard error."""
    width = 30
    filled = int(width * done / max(total, 1))
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} documents", end=end, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ writing it out

def report_html(report: dict[str, Any]) -> str:
    """A standalone HTML page (plotly.js inlined once): agreement by method pair and faithfulness."""
    agg = report["aggregate"]
    pairs = list(agg["agreement"])
    figures = []
    if pairs:
        agreement = go.Figure()
        for metric in METRICS:
            cells = [agg["agreement"][p][metric] for p in pairs]
            agreement.add_bar(name=metric, x=[html.escape(p) for p in pairs], y=[c["mean"] for c in cells],
                              error_y=dict(type="data", array=[c["std"] or 0 for c in cells]))
        agreement.update_layout(title="Agreement by method pair (mean ± std over documents)", barmode="group",
                                height=420)
        figures.append(agreement)
    names = list(agg["faithfulness"])
    faith = go.Figure()
    for key, label in (("aopc_comprehensiveness", "comprehensiveness (higher: more faithful)"),
                       ("aopc_sufficiency", "sufficiency (lower: more faithful)")):
        cells = [agg["faithfulness"][n][key] for n in names]
        faith.add_bar(name=label, x=[html.escape(n) for n in names], y=[c["mean"] for c in cells],
                      error_y=dict(type="data", array=[c["std"] or 0 for c in cells]))
    faith.update_layout(title=f"AOPC by method; '{RANDOM}' is the chance baseline (mean ± std over documents)",
                        barmode="group", height=420)
    figures.append(faith)
    parts = [f.to_html(include_plotlyjs=(i == 0), full_html=False) for i, f in enumerate(figures)]
    settings = html.escape(json.dumps(report["settings"], default=str))
    failed = f" ({agg['failed']} could not be summarized)" if agg.get("failed") else ""
    head = (f"<h1>attnviz corpus report</h1><p>{agg['documents']} documents{failed}, {html.escape(report['mode'])}, "
            f"{report['seconds']} s ({report['documents_per_minute']} documents per minute).</p>"
            f"<p><code>{settings}</code></p>")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>attnviz report</title></head><body>{head}" \
           f"{''.join(parts)}</body></html>"


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(json.dumps(report, indent=1, allow_nan=False), encoding="utf-8")
    html_path.write_text(report_html(report), encoding="utf-8")
    return json_path, html_path
