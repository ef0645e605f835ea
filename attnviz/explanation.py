"""One explained summary as one object: ``Explanation`` holds the generation, every method's attribution,
agreement, faithfulness, the settings and the package versions, and is serialised one way.

The page fills it step by step (summary, then the methods the user asks for, then faithfulness on
request); ``python -m attnviz explain --json``, the corpus report and the page's JSON export all write
``to_json()``, and the page opens such a file again with ``from_json``. numpy only, no torch.

Layout (``FORMAT`` version ``FORMAT_VERSION``): ``{"format", "format_version", "model", "settings",
"versions", "generation", "methods": {name: attribution}, "agreement": {"methods", "matrices":
{metric: [M][M]}, "with_attention_per_token": {method: {metric: [T]}}}, "faithfulness": null |
{"methods": {name: figures}, "cost"}, "head_faithfulness": null | {"fractions", "aopc_comprehensiveness": [L][H],
"aopc_sufficiency": [L][H], "random", "cost"}, "features": null | {"kind", "bounds", "labels", "source_len"},
"counterfactual": null | {"k", "seed", "original_logprobs", "variants": {name: {"logprob_change", "same_greedy", …}}},
"stability": null | {method: {"seeds", "mean", "std", "rank_tau", "mean_rank_tau", "with_attention"}}}``:
with features (sentences, spans), every method's scores are [T, G] over them; docs/document.md describes every field.
"""
from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from typing import Any

import numpy as np

import attnviz
from attnviz.agreement import METRICS, agreement_matrices, agreement_rows
from attnviz.errors import DocumentError, InputError
from attnviz.faithfulness import RANDOM
from attnviz.features import Features
from attnviz.jsonvalues import (
    MAX_COUNT,
    MAX_NAME_CHARS,
    MAX_SEED,
    check_names,
    describe,
    finite,
    is_whole,
    parse_json,
    read_array,
    read_float,
    read_int,
    read_object,
    read_plain,
    read_text,
    read_texts,
    rounded,
)
from attnviz.measures import Counterfactual, Faithfulness, HeadFaithfulness, Stability, read_cost
from attnviz.types import Attribution, Generation

FORMAT = "attnviz-explanation"
FORMAT_VERSION = 3            # 3: per-head attention as [L, H, T, S] for every model; 2 ([H, T, S]) still opens;
                              # 1 was the page's earlier "attnviz-export" layout
READABLE_VERSIONS = (2, 3)
ATTENTION = "attention"
PACKAGES = ("torch", "numpy", "captum", "shap", "streamlit", "plotly", "pandas", "scipy", "scikit-learn")
MAX_DOCUMENT_BYTES = 200 * 2**20
MAX_RANDOM_ORDERS = 1000
MAX_MODEL_CHARS = 4096        # a model's name or folder
MAX_PACKAGES = 100            # entries of ``versions``
IG = "integrated_gradients"   # its checks are drawn by the page (``convergence_note``): checked on load


def versions() -> dict[str, str]:
    """attnviz, Python and the installed versions of the packages that shape the numbers."""
    out = {"attnviz": attnviz.__version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def check_baseline(random_orders: Any, seed: Any) -> None:
    """InputError unless 1 ≤ random_orders ≤ ``MAX_RANDOM_ORDERS`` and 0 ≤ seed < 2³² (integers)."""
    for name, value, low, high in (("random_orders", random_orders, 1, MAX_RANDOM_ORDERS), ("seed", seed, 0, 2**32 - 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise InputError(f"{name} must be an integer from {low} to {high:,}, not {value!r}")


def check_convergence(checks: dict[str, Any], summary_len: int, *, where: str) -> None:
    """Integrated gradients' convergence record, which the page puts into a sentence
    (``attnviz.explain.gradients.convergence_note``): ``steps_per_row``, ``convergence_delta`` and
    ``allowed_delta`` [T], ``rows_refined``, ``worst_row`` (a summary token), ``worst_delta_over_allowed``,
    ``rule`` (a text) and ``all_rows_converged``; DocumentError naming the first that is wrong."""
    per_token = "one per summary token"
    read_array(checks, "steps_per_row", shape=(summary_len,), kind="whole", low=1, high=MAX_COUNT, where=where,
               of=per_token)
    for name in ("convergence_delta", "allowed_delta"):
        read_array(checks, name, shape=(summary_len,), kind="number", where=where, of=per_token)
    read_int(checks, "rows_refined", low=0, high=summary_len, where=where)
    read_int(checks, "worst_row", low=0, high=summary_len - 1, where=where)
    read_float(checks, "worst_delta_over_allowed", where=where)
    read_text(checks, "rule", where=where, max_chars=MAX_NAME_CHARS)
    if not isinstance(checks["all_rows_converged"], bool):
        raise DocumentError(f"{where}all_rows_converged must be true or false, not "
                            f"{describe(checks['all_rows_converged'])}")


@dataclass(frozen=True)
class ExplanationSettings:
    """What an explanation depends on besides the text: the model, how it decoded, each method's
    parameters, and the faithfulness baseline's random orders and seed."""

    model: str
    device: str
    max_source_tokens: int
    decoding: dict[str, Any]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    random_orders: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        check_baseline(self.random_orders, self.seed)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ExplanationSettings:
        """The inverse of ``asdict``; every field checked (``params``: an object per method)."""
        where = "settings."
        params = read_plain(document, "params", where=where, default={})
        for method in check_names(params, "method", where=where + "params"):
            read_object(params, method, where=where + "params.")
        return cls(model=read_text(document, "model", where=where, max_chars=MAX_MODEL_CHARS),
                   device=read_text(document, "device", where=where, max_chars=MAX_NAME_CHARS),
                   max_source_tokens=read_int(document, "max_source_tokens", low=1, high=MAX_COUNT, where=where),
                   decoding=read_plain(document, "decoding", where=where),
                   params=params,
                   random_orders=read_int(document, "random_orders", low=1, high=MAX_RANDOM_ORDERS, where=where,
                                          default=10),
                   seed=read_int(document, "seed", low=0, high=MAX_SEED, where=where, default=0))


@dataclass
class Agreement:
    """Every metric of every method pair (mean over summary tokens), and each method against attention
    per summary token."""

    methods: list[str]
    matrices: dict[str, np.ndarray]                         # metric → [M, M]
    with_attention: dict[str, dict[str, np.ndarray]]        # method → metric → [T]

    @classmethod
    def of(cls, scores: dict[str, np.ndarray]) -> Agreement:
        """Computed from scores {method: [T, S]} (attention, if present, is the per-token reference)."""
        per_token = ({name: agreement_rows(scores[ATTENTION], s) for name, s in scores.items() if name != ATTENTION}
                     if ATTENTION in scores else {})
        return cls(list(scores), agreement_matrices(scores), per_token)

    def to_json(self) -> dict[str, Any]:
        return {"methods": self.methods, "matrices": {m: rounded(a) for m, a in self.matrices.items()},
                "with_attention_per_token": {name: {m: rounded(v) for m, v in rows.items()}
                                             for name, rows in self.with_attention.items()}}

    @classmethod
    def from_json(cls, document: dict[str, Any], summary_len: int, methods: list[str]) -> Agreement:
        """The inverse of ``to_json`` for the document's ``methods`` (in their order) over ``summary_len``
        summary tokens; every metric of ``METRICS`` there, every method but attention compared per token."""
        where = "agreement."
        if not isinstance(document, dict):
            raise DocumentError(f"agreement must be an object ({{…}}) or null, not {describe(document)}")
        named = read_texts(document, "methods", where=where, max_chars=MAX_NAME_CHARS)
        if named != methods:
            raise DocumentError(f"{where}methods must list the document's methods in their order "
                                f"({', '.join(methods)[:300]}), not {', '.join(named)[:300] or 'none'}")
        m = len(methods)
        tables = read_object(document, "matrices", where=where)
        matrices = {metric: read_array(tables, metric, shape=(m, m), where=where + "matrices.", of="methods × methods")
                    for metric in METRICS}
        per_token = read_object(document, "with_attention_per_token", where=where, default={})
        compared = [name for name in methods if name != ATTENTION]
        extra = [name for name in per_token if name not in compared]
        if extra:
            raise DocumentError(f"{where}with_attention_per_token names {extra[0][:MAX_NAME_CHARS]!r}, which is not "
                                "one of the document's methods other than attention")
        inner = f"{where}with_attention_per_token."
        rows = {name: {metric: read_array(read_object(per_token, name, where=inner), metric, shape=(summary_len,),
                                          where=f"{inner}{name}.", of="one per summary token")
                       for metric in METRICS} for name in compared}
        return cls(methods, matrices, rows)


@dataclass
class Explanation:
    """One explained summary. ``attributions`` keep insertion order (attention first); adding one clears
    the agreement and faithfulness computed before it. With ``features`` (sentences, spans), the methods
    explain those G features ([T, G]; faithfulness removes features); ``generation`` stays token-level."""

    generation: Generation
    settings: ExplanationSettings
    attributions: dict[str, Attribution] = field(default_factory=dict)
    agreement: Agreement | None = None
    faithfulness: dict[str, Faithfulness] | None = None     # by method, plus the "random" baseline
    faithfulness_cost: dict[str, Any] | None = None
    head_faithfulness: HeadFaithfulness | None = None       # each layer and head's attention as a ranking
    versions: dict[str, str] = field(default_factory=versions)
    features: Features | None = None                        # what the methods explain (None: source tokens)
    counterfactual: Counterfactual | None = None            # the summary re-scored under replaced attention
    stability: dict[str, Stability] | None = None           # sampling methods run with several seeds

    @property
    def units(self) -> Generation:
        """The generation with the explained units for source: features where there are features."""
        return self.generation if self.features is None else self.features.generation(self.generation)

    def add(self, attribution: Attribution) -> None:
        units = self.generation.source_tokens if self.features is None else list(self.features.labels)
        if (attribution.source_tokens, attribution.summary_tokens) != (units, self.generation.summary_tokens):
            raise ValueError(f"{attribution.method} explains another summary (or other source units)")
        self.attributions[attribution.method] = attribution
        self.agreement = self.faithfulness = self.faithfulness_cost = None

    @property
    def scores(self) -> dict[str, np.ndarray]:
        """{method: scores [T, S]} in insertion order."""
        return {name: a.scores for name, a in self.attributions.items()}

    def compare(self) -> Agreement:
        """Fill (or return) the agreement of the methods present."""
        if self.agreement is None or self.agreement.methods != list(self.attributions):
            self.agreement = Agreement.of(self.scores)
        return self.agreement

    def set_faithfulness(self, figures: dict[str, Faithfulness], cost: dict[str, Any]) -> None:
        self.faithfulness, self.faithfulness_cost = figures, cost

    def by_words(self) -> Explanation:
        """The same explanation with words for source units (``generation.source_words``): each word's
        attention and scores are the sums over its pieces (W words; [T, S] → [T, W]). Agreement is recomputed
        on words; faithfulness (measured on pieces) is kept. Itself when there is no word grouping or the
        methods explain features."""
        words = self.generation.source_words
        if self.features is not None or words is None or words == list(range(len(words))):
            return self
        first = np.unique(words, return_index=True)[1].tolist()
        bounds = tuple(zip(first, first[1:] + [len(words)]))
        labels = self.generation.word_texts or ["".join(self.generation.source_tokens[a:b]) for a, b in bounds]
        return self.viewed(Features("words", bounds, tuple(labels), len(words)))

    def viewed(self, features: Features | None = None, *, short: bool = False) -> Explanation:
        """This explanation shown on ``features`` (default: its own) as source units: the generation's
        attention summed per feature; token-level scores summed too (features of its own are already the
        scores' units). ``short``: sentences and spans labelled by their first words (for plots). Agreement
        recomputed; faithfulness kept. Itself when there is nothing to group."""
        own = features is None                      # the scores are already over these features
        if own:
            if self.features is None:
                return self
            features = self.features
        labels = features.short_labels() if short else list(features.labels)
        shown = Explanation(features.generation(self.generation, labels), self.settings, versions=self.versions)
        for a in self.attributions.values():
            shown.add(replace(a, source_tokens=labels) if own else features.summed(a, labels))
        shown.set_faithfulness(self.faithfulness, self.faithfulness_cost)
        shown.head_faithfulness, shown.counterfactual = self.head_faithfulness, self.counterfactual
        shown.stability = self.stability if own else None         # a spread does not add up over tokens
        return shown

    def differences(self, model: str, running: dict[str, str]) -> list[str]:
        """What differs between this (loaded) explanation and the running model and packages."""
        notes = [f"it was made with the model {self.settings.model!r}, not {model!r}"] if model != self.settings.model else []
        changed = [f"{name} {self.versions[name]} (now {now})" for name, now in running.items()
                   if name in self.versions and self.versions[name] != now]
        if changed:
            notes.append("it was made with " + ", ".join(changed))
        return notes

    def to_json(self) -> dict[str, Any]:
        """The one document layout (strict JSON values)."""
        faithfulness = None if self.faithfulness is None else {
            "methods": {name: f.to_json() for name, f in self.faithfulness.items()},
            "cost": finite(self.faithfulness_cost or {})}
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "model": self.settings.model,
                "settings": finite(asdict(self.settings)), "versions": self.versions,
                "generation": self.generation.to_json(),
                "methods": {name: a.to_json() for name, a in self.attributions.items()},
                "agreement": self.compare().to_json() if self.attributions else None,
                "faithfulness": faithfulness,
                "head_faithfulness": None if self.head_faithfulness is None else self.head_faithfulness.to_json(),
                "features": None if self.features is None else self.features.to_json(),
                "counterfactual": None if self.counterfactual is None else self.counterfactual.to_json(),
                "stability": None if self.stability is None else {m: s.to_json() for m, s in self.stability.items()}}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1, allow_nan=False)

    @classmethod
    def from_json(cls, document: Any) -> Explanation:
        """The inverse of ``to_json``, every field checked once (types, ranges, shapes against T summary tokens,
        S source tokens, G features, L × H heads; every block naming only the document's methods), so that what
        opens can be drawn; DocumentError naming the first field that is wrong, in the writer's terms."""
        if isinstance(document, dict) and document.get("format") == "attnviz-comparison":
            raise DocumentError("this file holds two models side by side; open one of its two explanations "
                                "(its \"explanations\" list) instead")
        if not isinstance(document, dict) or document.get("format") not in (FORMAT, "attnviz-export"):
            raise DocumentError("this is not an attnviz explanation (JSON from the page's export or "
                                "`python -m attnviz explain --json`)")
        version = document.get("format_version")
        if not is_whole(version) or version not in READABLE_VERSIONS:
            raise DocumentError(f"this explanation has layout version {describe(version)}; this attnviz reads "
                                f"versions {READABLE_VERSIONS[0]} to {FORMAT_VERSION}: export it again with this version")
        generation = Generation.from_json(read_object(document, "generation"))
        t = len(generation.summary_tokens)
        features = (None if document.get("features") is None
                    else Features.from_json(document["features"], len(generation.source_tokens)))
        units = generation if features is None else features.generation(generation)
        settings = ExplanationSettings.from_json(read_object(document, "settings"))
        versions_found = read_object(document, "versions", default={})
        check_names(versions_found, "package", where="versions", max_names=MAX_PACKAGES)
        for name in versions_found:
            read_text(versions_found, name, where="versions.", max_chars=MAX_NAME_CHARS)
        entries = read_object(document, "methods")
        methods = check_names(entries, "method", where="methods")
        if ATTENTION not in entries:
            raise DocumentError(f"methods must hold {ATTENTION!r} (the model's own attention, which every "
                                "explanation has)")
        attributions = {name: Attribution.from_json(name, entry, units) for name, entry in entries.items()}
        layers_heads = generation.attention_layers.shape[:2]
        for name, attribution in attributions.items():
            if attribution.head_scores is not None and attribution.head_scores.shape[:2] != layers_heads:
                raise DocumentError(f"methods.{name}.head_scores has {attribution.head_scores.shape[0]} layers × "
                                    f"{attribution.head_scores.shape[1]} heads; the attention has "
                                    f"{layers_heads[0]} × {layers_heads[1]}")
        if "all_rows_converged" in attributions.get(IG, attributions[ATTENTION]).checks:
            check_convergence(attributions[IG].checks, t, where=f"methods.{IG}.checks.")
        explanation = cls(generation, settings, attributions, versions=dict(versions_found), features=features)
        if document.get("agreement") is not None:
            explanation.agreement = Agreement.from_json(document["agreement"], t, methods)
        if document.get("faithfulness") is not None:
            faith = read_object(document, "faithfulness")
            figures = read_object(faith, "methods", where="faithfulness.")
            check_names(figures, "method", where="faithfulness.methods")
            unknown = [name for name in figures if name not in entries and name != RANDOM]
            if unknown:
                raise DocumentError(f"faithfulness.methods names {unknown[0]!r}, which is not one of the document's "
                                    "methods")
            if RANDOM not in figures:
                raise DocumentError(f"faithfulness.methods.{RANDOM} is missing (the chance baseline every method "
                                    "is measured against)")
            base = Faithfulness.from_json(RANDOM, figures[RANDOM], t)
            explanation.faithfulness = {name: base if name == RANDOM else
                                        Faithfulness.from_json(name, f, t, len(base.fractions))
                                        for name, f in figures.items()}
            explanation.faithfulness_cost = read_cost(faith, "cost", where="faithfulness.")
        if document.get("head_faithfulness") is not None:
            explanation.head_faithfulness = HeadFaithfulness.from_json(document["head_faithfulness"], *layers_heads)
        if document.get("counterfactual") is not None:
            explanation.counterfactual = Counterfactual.from_json(document["counterfactual"], t)
        if document.get("stability") is not None:
            stable = read_object(document, "stability")
            check_names(stable, "method", where="stability")
            unknown = [name for name in stable if name not in entries]
            if unknown:
                raise DocumentError(f"stability names {unknown[0]!r}, which is not one of the document's methods")
            explanation.stability = {m: Stability.from_json(m, entry, attributions[m].scores.shape, METRICS)
                                     for m, entry in stable.items()}
        return explanation

    @classmethod
    def loads(cls, raw: bytes | str) -> Explanation:
        """Parse an exported file; DocumentError for one that is too large, not UTF-8 or not JSON."""
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"the file has {len(raw):,} bytes; an explanation is at most {MAX_DOCUMENT_BYTES:,}")
        try:
            return cls.from_json(parse_json(raw.decode("utf-8") if isinstance(raw, bytes) else raw))
        except UnicodeDecodeError:
            raise DocumentError("the file is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise DocumentError(f"the file is not JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise DocumentError("the file nests too deeply to be an explanation") from None
