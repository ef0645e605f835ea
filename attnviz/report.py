"""Agreement and faithfulness over a corpus (``python -m attnviz report``): every document becomes an
``Explanation`` (``attnviz.pipeline.explain_text``), and the report keeps, per document, every
method × method pair's agreement means (a multi-head model's heads included as "attention head h", and a
random ranking against attention as the chance level) and every method's AOPC beside the random-order
baseline, then the mean with its bootstrap 95% interval, the standard deviation and the count of each figure
over the documents. Documents fan out over Dask (``attnviz.parallel``) or run one after another; each
document's whole explanation can be kept too. With several models (``run_models_report``), the same
corpus runs through each, and a table gives every model × method's agreement with its model's attention
and its faithfulness.
"""
from __future__ import annotations

import html
import importlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from attnviz.agreement import METRICS, agreement_rows, nanmean
from attnviz.bootstrap import bootstrap_mean
from attnviz.errors import InputError
from attnviz.explanation import ATTENTION
from attnviz.faithfulness import RANDOM
from attnviz.jsonvalues import finite
from attnviz.models.base import DecodingSettings

DEFAULT_REPORT_METHODS = ("attention", "integrated_gradients", "occlusion", "lime")


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
    keep_explanations: bool = False          # return each document's whole explanation too
    heads: bool = True                       # a multi-head model's heads as methods "attention head h"
    pointer_split: bool = True               # attention's copy and generate shares as methods too
    counterfactual: bool = True              # counterfactual attention per document (pointer-generators)
    max_seconds: float | None = None         # refuse a document whose estimate is longer (it gets an error)
    granularity: str = "tokens"              # or "sentences": every method explains each document's sentences
    language: str = "en"                     # for sentence splitting

    def __post_init__(self) -> None:
        if self.granularity not in ("tokens", "sentences"):
            raise InputError(f"a report explains tokens or sentences (spans differ per document), not {self.granularity!r}")


COPIED_BELOW = 0.5                           # a summary token with p_gen below this was copied
_SUMMARIZERS: dict[tuple[str | None, int | None], Any] = {}


def _summarizer(model: str | None, max_source_tokens: int | None = None):
    """One loaded model per process (Dask workers keep theirs between documents); CPU, 1 thread."""
    key = (model, max_source_tokens)
    if key not in _SUMMARIZERS:
        import torch

        from attnviz.models.loading import load_model

        torch.set_num_threads(1)
        _SUMMARIZERS[key] = load_model(model, device="cpu", max_source_tokens=max_source_tokens)
    return _SUMMARIZERS[key]


def document_figures(text: str, settings: ReportSettings) -> dict[str, Any]:
    """Explain one text; → its per-pair agreement means and per-method AOPC figures (and, with
    ``keep_explanations``, the explanation document), or, for a text that cannot be summarized, its
    error message and no figures."""
    from attnviz.pipeline import explain_text

    start = time.perf_counter()
    try:
        explanation = explain_text(_summarizer(settings.model, settings.max_source_tokens), text, settings.methods,
                                   decoding=settings.decoding, params=settings.params,
                                   random_orders=settings.random_orders, seed=settings.seed,
                                   heads_as_methods=settings.heads, pointer_split=settings.pointer_split,
                                   max_seconds=settings.max_seconds,
                                   granularity=settings.granularity, language=settings.language,
                                   counterfactual=settings.counterfactual and _replaces_attention(settings))
    except InputError as exc:
        return {"error": str(exc), "pairs": {}, "faithfulness": {}, "seconds": round(time.perf_counter() - start, 3)}
    agreement = explanation.compare()
    names = agreement.methods
    pairs = {f"{a} | {b}": {m: agreement.matrices[m][i, j] for m in METRICS}
             for i, a in enumerate(names) for j, b in enumerate(names) if i < j}
    attention = explanation.scores[ATTENTION]
    chance = agreement_rows(attention, np.random.default_rng(settings.seed).random(attention.shape))
    pairs[f"{ATTENTION} | {RANDOM}"] = {m: nanmean(chance[m]) for m in METRICS}
    faith = {name: {"aopc_comprehensiveness": f.aopc_comprehensiveness, "aopc_sufficiency": f.aopc_sufficiency}
             for name, f in explanation.faithfulness.items()}
    generation = explanation.generation
    out = {"summary": generation.summary, "source_tokens": len(generation.source_tokens),
           "summary_tokens": len(generation.summary_tokens), "pairs": finite(pairs), "faithfulness": finite(faith),
           "by_token_kind": finite(by_token_kind(explanation)), "seconds": round(time.perf_counter() - start, 3)}
    if explanation.counterfactual is not None:
        out["counterfactual"] = finite(explanation.counterfactual.summary())
    if settings.keep_explanations:
        out["explanation"] = explanation.to_json()
    return out


def _replaces_attention(settings: ReportSettings) -> bool:
    """Whether the report's model has its own cross-attention to replace (counterfactual attention)."""
    return _summarizer(settings.model, settings.max_source_tokens).replaces_attention


def by_token_kind(explanation: Any) -> dict[str, Any]:
    """The summary tokens the pointer copied (p_gen < ``COPIED_BELOW``) and those it generated, apart: per
    kind, the share of tokens, each method's agreement with attention (``"attention | m"``: metric → mean
    over those tokens) and AOPC comprehensiveness and sufficiency (means over those tokens); {} without a
    pointer. A kind with no token has no figures (None)."""
    p_gen = explanation.generation.p_gen
    if p_gen is None:
        return {}
    agreement = explanation.compare().with_attention
    out = {}
    for kind, rows in (("copied", p_gen < COPIED_BELOW), ("generated", p_gen >= COPIED_BELOW)):
        mean = (lambda v: nanmean(np.asarray(v)[rows]) if rows.any() else None)
        out[kind] = {"share": float(rows.mean()),
                     "pairs": {f"{ATTENTION} | {name}": {m: mean(values[m]) for m in METRICS}
                               for name, values in agreement.items()},
                     "faithfulness": {name: {"aopc_comprehensiveness": mean(f.comprehensiveness.mean(axis=1)),
                                             "aopc_sufficiency": mean(f.sufficiency.mean(axis=1))}
                                      for name, f in (explanation.faithfulness or {}).items()}}
    return out


def stats(values: Iterable[Any]) -> dict[str, Any]:
    """Mean with its bootstrap 95% interval (``ci95``: [low, high]), standard deviation and count of the
    values that are not None (all None when there are none)."""
    v = np.array([x for x in values if x is not None], dtype=np.float64)
    if not v.size:
        return {"mean": None, "ci95": None, "std": None, "n": 0}
    mean, low, high = bootstrap_mean(v)
    return {"mean": mean, "ci95": [low, high], "std": float(v.std()), "n": int(v.size)}


def aggregate(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """``stats`` over documents (ignoring missing values) of every figure."""
    pairs = sorted({p for d in documents for p in d["pairs"]})
    methods = list(dict.fromkeys(m for d in documents for m in d["faithfulness"]))
    out = {"documents": len(documents), "failed": sum("error" in d for d in documents),
           "agreement": {p: {m: stats(d["pairs"].get(p, {}).get(m) for d in documents) for m in METRICS}
                         for p in pairs},
           "faithfulness": {name: {k: stats(d["faithfulness"].get(name, {}).get(k) for d in documents)
                                   for k in ("aopc_comprehensiveness", "aopc_sufficiency")} for name in methods}}
    variants = sorted({v for d in documents for v in d.get("counterfactual", {})})
    if variants:
        out["counterfactual"] = {v: {k: stats(d.get("counterfactual", {}).get(v, {}).get(k) for d in documents)
                                     for k in ("mean_change", "largest_drop", "same_greedy_share")} for v in variants}
    kinds = [d.get("by_token_kind") or {} for d in documents]
    if any(kinds):
        out["by_token_kind"] = {kind: {"share": stats(k.get(kind, {}).get("share") for k in kinds),
                                       **aggregate([k.get(kind, {"pairs": {}, "faithfulness": {}}) for k in kinds])}
                                for kind in ("copied", "generated")}
        for figures in out["by_token_kind"].values():
            figures.pop("failed")
    return out


def run_report(texts: list[str], settings: ReportSettings, *, scheduler: str | None = None, workers: int = 2,
               serial: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Every text through ``document_figures``, serially or over Dask (a local cluster of ``workers``
    single-threaded processes, or the cluster at ``scheduler``); documents keep their input order."""
    from attnviz.explain import method_names
    from attnviz.explanation import check_baseline
    from attnviz.pipeline import method_params

    check_baseline(settings.random_orders, settings.seed)                 # bad settings fail now, not per document
    method_params(method_names(list(settings.methods)), settings.params, settings.seed)
    start = time.perf_counter()
    if serial:
        from threadpoolctl import threadpool_limits

        importlib.import_module("sklearn.linear_model")   # LIME's ridge: loaded now, so its OpenMP pool is limited too

        documents = []
        # One BLAS and OpenMP thread, as in a Dask worker (``parallel.WORKER_ENVIRON``): LIME's ridge fits
        # go through numpy's BLAS, whose sums differ in the last bits with the thread count, enough to flip
        # near-tied ranks; so serial and Dask runs give the same figures.
        with threadpool_limits(limits=1):
            for i, text in enumerate(texts):
                documents.append(document_figures(text, settings))
                if progress:
                    progress(i + 1, len(texts))
        mode = "serial"
    else:
        from attnviz.parallel import dask_map

        documents, mode = dask_map(document_figures, texts, scheduler=scheduler, workers=workers, progress=progress,
                                   settings=settings)
    seconds = time.perf_counter() - start
    return finite({"settings": _settings_json(settings), "mode": mode, "seconds": round(seconds, 2),
                   "documents_per_minute": round(60 * len(texts) / seconds, 2) if seconds > 0 else None,
                   "aggregate": aggregate(documents), "documents": documents})


def run_models_report(texts: list[str], settings: ReportSettings, models: list[str], **run: Any) -> dict[str, Any]:
    """The same corpus through each of ``models`` (``run_report`` each, with ``run``'s options) and the
    table of every model × method (``models_table``)."""
    if len(set(models)) != len(models) or not models:
        raise InputError(f"--models needs one or more different models, not {', '.join(models) or 'none'}")
    reports = {model: run_report(texts, replace(settings, model=model), **run) for model in models}
    return finite({"models": reports, "table": models_table(reports), "token_kinds": token_kind_table(reports)})


def models_table(reports: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per model × method (attention, each head of a multi-head model, each attribution method and
    the random baseline): its agreement with the model's attention (``stats`` per metric; none for attention
    itself) and its AOPC comprehensiveness and sufficiency (``stats``)."""
    rows = []
    for model, report in reports.items():
        agreement, faithfulness = report["aggregate"]["agreement"], report["aggregate"]["faithfulness"]
        for method, figures in faithfulness.items():
            with_attention = agreement.get(f"{ATTENTION} | {method}")
            rows.append({"model": model, "method": method, "agreement_with_attention": with_attention,
                         "aopc_comprehensiveness": figures["aopc_comprehensiveness"],
                         "aopc_sufficiency": figures["aopc_sufficiency"]})
    return rows


def token_kind_table(reports: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per model × method × kind of summary token (copied, generated): the kind's share of the
    tokens, the method's Spearman ρ with attention and its AOPC comprehensiveness over those tokens
    (``stats`` over documents). Empty for models without a pointer."""
    rows = []
    for model, report in reports.items():
        for kind, figures in report["aggregate"].get("by_token_kind", {}).items():
            for method, faith in figures["faithfulness"].items():
                rows.append({"model": model, "method": method, "kind": kind, "share": figures["share"],
                             "spearman_rho": (figures["agreement"].get(f"{ATTENTION} | {method}") or {}).get("spearman_rho"),
                             "aopc_comprehensiveness": faith["aopc_comprehensiveness"]})
    return rows


def token_kind_html(rows: list[dict[str, Any]]) -> str:
    """``token_kind_table`` as an HTML table (mean [bootstrap 95% interval]), or nothing."""
    import pandas as pd

    if not rows:
        return ""
    table = pd.DataFrame([{"model": r["model"], "method": r["method"], "summary tokens": r["kind"],
                           "share of tokens": interval_text(r["share"]),
                           "spearman_rho with attention": interval_text(r["spearman_rho"]),
                           "AOPC comprehensiveness": interval_text(r["aopc_comprehensiveness"])} for r in rows])
    return (f"<h2>Copied or generated summary tokens</h2><p>Tokens with p_gen &lt; {COPIED_BELOW} were copied by the "
            "pointer; the figures are means over those tokens only.</p>" + table.to_html(index=False, escape=True))


def counterfactual_rows(reports: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per model × counterfactual variant: mean Δ log-prob, largest drop and share of greedy tokens
    kept (``stats`` over documents); none for models without their own cross-attention to replace."""
    return [{"model": model, "variant": variant, **figures}
            for model, report in reports.items()
            for variant, figures in report["aggregate"].get("counterfactual", {}).items()]


def counterfactual_html(rows: list[dict[str, Any]]) -> str:
    import pandas as pd

    if not rows:
        return ""
    table = pd.DataFrame([{"model": r["model"], "attention": r["variant"].replace("_", " "),
                           "mean Δ log-prob": interval_text(r["mean_change"]),
                           "largest drop": interval_text(r["largest_drop"]),
                           "greedy token kept": interval_text(r["same_greedy_share"])} for r in rows])
    return ("<h2>Counterfactual attention</h2><p>Each summary re-scored with attention spread evenly, shuffled, or "
            "without its 3 most attended tokens: mean over documents [bootstrap 95% interval].</p>"
            + table.to_html(index=False, escape=True))


def _settings_json(settings: ReportSettings) -> dict[str, Any]:
    out = asdict(settings)
    out["methods"] = list(settings.methods)
    return out


def report_html(report: dict[str, Any]) -> str:
    """A standalone HTML page (plotly.js inlined once): agreement by method pair and faithfulness."""
    from attnviz.plots import corpus_figures

    figures = corpus_figures(report["aggregate"])
    parts = [f.to_html(include_plotlyjs=(i == 0), full_html=False) for i, f in enumerate(figures)]
    agg = report["aggregate"]
    settings = html.escape(json.dumps(report["settings"], default=str))
    failed = f" ({agg['failed']} could not be summarized)" if agg.get("failed") else ""
    head = (f"<h1>attnviz corpus report</h1><p>{agg['documents']} documents{failed}, {html.escape(report['mode'])}, "
            f"{report['seconds']} s ({report['documents_per_minute']} documents per minute).</p>"
            f"<p><code>{settings}</code></p>")
    kinds = token_kind_html(token_kind_table({"": report})) + counterfactual_html(counterfactual_rows({"": report}))
    return f"<!doctype html><html><head><meta charset='utf-8'><title>attnviz report</title></head><body>{head}" \
           f"{''.join(parts)}{kinds}</body></html>"


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """report.json (each kept explanation in explanations/NNNN.json instead, or explanations/M/NNNN.json for
    the M-th model of a models report) and report.html under ``out``; InputError when the folder cannot be
    written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        json_path, html_path = out / "report.json", out / "report.html"
        if "models" in report:
            body = {**report, "models": {name: _explanations_apart(r, out, Path("explanations") / str(i))
                                         for i, (name, r) in enumerate(report["models"].items())}}
            page = models_report_html(report)
        else:
            body, page = _explanations_apart(report, out, Path("explanations")), report_html(report)
        json_path.write_text(json.dumps(body, indent=1, allow_nan=False), encoding="utf-8")
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    return json_path, html_path


def _explanations_apart(report: dict[str, Any], out: Path, folder: Path) -> dict[str, Any]:
    """The report with each kept explanation written to ``out/folder/NNNN.json`` and named there instead."""
    documents = []
    for i, document in enumerate(report["documents"]):
        if "explanation" in document:
            (out / folder).mkdir(parents=True, exist_ok=True)
            path = folder / f"{i:04d}.json"
            (out / path).write_text(json.dumps(document["explanation"], ensure_ascii=False, allow_nan=False),
                                    encoding="utf-8")
            document = {**{k: v for k, v in document.items() if k != "explanation"}, "explanation_file": str(path)}
        documents.append(document)
    return {**report, "documents": documents}


def models_report_html(report: dict[str, Any]) -> str:
    """A standalone HTML page for a models report: the model × method table and its two plots."""
    import pandas as pd

    from attnviz.plots import models_figures

    table = pd.DataFrame([{"model": r["model"], "method": r["method"],
                           **{f"{metric} with attention": interval_text((r["agreement_with_attention"] or {}).get(metric))
                              for metric in ("spearman_rho", "kendall_tau_b", "top5_overlap")},
                           "AOPC comprehensiveness": interval_text(r["aopc_comprehensiveness"]),
                           "AOPC sufficiency": interval_text(r["aopc_sufficiency"])} for r in report["table"]])
    figures = models_figures(report["table"])
    parts = [f.to_html(include_plotlyjs=(i == 0), full_html=False) for i, f in enumerate(figures)]
    runs = ", ".join(f"{html.escape(name)}: {r['aggregate']['documents']} documents "
                     f"({r['aggregate']['failed']} could not be summarized), {r['seconds']} s"
                     for name, r in report["models"].items())
    head = (f"<h1>attnviz models report</h1><p>{runs}.</p><p>Mean over documents [bootstrap 95% interval]. "
            f"Agreement is with each model's own attention; '{RANDOM}' is a random ranking (agreement) and random "
            "orders (faithfulness): the chance level.</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>attnviz models report</title></head><body>"
            f"{head}{table.to_html(index=False, escape=True)}{''.join(parts)}"
            f"{token_kind_html(report.get('token_kinds', []))}"
            f"{counterfactual_html(counterfactual_rows(report['models']))}</body></html>")


def interval_text(cell: dict[str, Any] | None) -> str:
    """One ``stats`` entry as "mean [low, high]", or "–" where there is none."""
    if not cell or cell["mean"] is None:
        return "–"
    low, high = cell["ci95"]
    return f"{cell['mean']:.3f} [{low:.3f}, {high:.3f}]"
