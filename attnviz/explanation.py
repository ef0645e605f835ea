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
from attnviz.jsonvalues import finite, read_array, read_field, rounded
from attnviz.measures import Counterfactual, Faithfulness, HeadFaithfulness, Stability
from attnviz.types import Attribution, Generation

FORMAT = "attnviz-explanation"
FORMAT_VERSION = 3            # 3: per-head attention as [L, H, T, S] for every model; 2 ([H, T, S]) still opens;
                              # 1 was the page's earlier "attnviz-export" layout
READABLE_VERSIONS = (2, 3)
ATTENTION = "attention"
PACKAGES = ("torch", "numpy", "captum", "shap", "streamlit", "plotly", "pandas", "scipy", "scikit-learn")
MAX_DOCUMENT_BYTES = 200 * 2**20
MAX_RANDOM_ORDERS = 1000


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
        where = "settings: "
        return cls(model=read_field(document, "model", str, where=where),
                   device=read_field(document, "device", str, where=where),
                   max_source_tokens=read_field(document, "max_source_tokens", int, where=where),
                   decoding=read_field(document, "decoding", dict, where=where),
                   params=read_field(document, "params", dict, where=where, default={}),
                   random_orders=read_field(document, "random_orders", int, where=where, default=10),
                   seed=read_field(document, "seed", int, where=where, default=0))


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
    def from_json(cls, document: dict[str, Any], summary_len: int) -> Agreement:
        where = "agreement: "
        methods = read_field(document, "methods", list, where=where)
        matrices = {m: read_array(read_field(document, "matrices", dict, where=where), m, where=where + "matrices.")
                    for m in METRICS}
        per_token = read_field(document, "with_attention_per_token", dict, where=where, default={})
        rows = {name: {m: read_array(values, m, where=f"{where}{name}.") for m in METRICS}
                for name, values in per_token.items()}
        if any(a.shape != (len(methods), len(methods)) for a in matrices.values()) or any(
                v.shape != (summary_len,) for r in rows.values() for v in r.values()):
            raise DocumentError(f"{where}the matrices do not match {len(methods)} methods and {summary_len} tokens")
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
        """The inverse of ``to_json``; DocumentError (with what is wrong) for anything else."""
        if isinstance(document, dict) and document.get("format") == "attnviz-comparison":
            raise DocumentError("this file holds two models side by side; open one of its two explanations "
                                "(its \"explanations\" list) instead")
        if not isinstance(document, dict) or document.get("format") not in (FORMAT, "attnviz-export"):
            raise DocumentError("this is not an attnviz explanation (JSON from the page's export or "
                                "`python -m attnviz explain --json`)")
        version = document.get("format_version")
        if version not in READABLE_VERSIONS:
            raise DocumentError(f"this explanation has layout version {version!r}; this attnviz reads versions "
                                f"{READABLE_VERSIONS[0]} to {FORMAT_VERSION}: export it again with this version")
        generation = Generation.from_json(read_field(document, "generation", dict))
        methods = read_field(document, "methods", dict)
        features = None if document.get("features") is None else Features.from_json(document["features"])
        if features is not None and features.source_len != len(generation.source_tokens):
            raise DocumentError(f"features: they cover {features.source_len} tokens, the source has "
                                f"{len(generation.source_tokens)}")
        units = generation if features is None else features.generation(generation)
        explanation = cls(generation, ExplanationSettings.from_json(read_field(document, "settings", dict)),
                          {name: Attribution.from_json(name, entry, units) for name, entry in methods.items()},
                          versions={str(k): str(v) for k, v in read_field(document, "versions", dict, default={}).items()},
                          features=features)
        if document.get("agreement") is not None:
            explanation.agreement = Agreement.from_json(document["agreement"], len(generation.summary_tokens))
            if explanation.agreement.methods != list(methods):
                raise DocumentError("agreement: its methods are not the document's methods")
        faith = document.get("faithfulness")
        if faith is not None:
            figures = read_field(faith, "methods", dict, where="faithfulness: ")
            explanation.faithfulness = {name: Faithfulness.from_json(name, f) for name, f in figures.items()}
            t = len(generation.summary_tokens)
            if RANDOM not in figures or any(f.comprehensiveness.shape[0] != t for f in explanation.faithfulness.values()):
                raise DocumentError(f"faithfulness: the figures need the '{RANDOM}' baseline and {t} summary tokens")
            explanation.faithfulness_cost = read_field(faith, "cost", dict, where="faithfulness: ", default={})
        if document.get("head_faithfulness") is not None:
            heads = HeadFaithfulness.from_json(document["head_faithfulness"])
            if heads.comprehensiveness.shape != generation.attention_layers.shape[:2]:
                raise DocumentError("head_faithfulness: its layers × heads do not match the attention's")
            explanation.head_faithfulness = heads
        if document.get("counterfactual") is not None:
            explanation.counterfactual = Counterfactual.from_json(document["counterfactual"])
            if any(v.shape != (len(generation.summary_tokens),) for v in explanation.counterfactual.change.values()):
                raise DocumentError("counterfactual: its figures do not match the summary's tokens")
        if document.get("stability") is not None:
            stable = read_field(document, "stability", dict)
            explanation.stability = {m: Stability.from_json(m, entry) for m, entry in stable.items()}
            if any(m not in methods or s.mean.shape != explanation.attributions[m].scores.shape
                   for m, s in explanation.stability.items()):
                raise DocumentError("stability: its methods or shapes do not match the document's methods")
        return explanation

    @classmethod
    def loads(cls, raw: bytes | str) -> Explanation:
        """Parse an exported file; DocumentError for one that is too large, not UTF-8 or not JSON."""
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"the file has {len(raw):,} bytes; an explanation is at most {MAX_DOCUMENT_BYTES:,}")
        try:
            return cls.from_json(json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw))
        except UnicodeDecodeError:
            raise DocumentError("the file is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise DocumentError(f"the file is not JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise DocumentError("the file nests too deeply to be an explanation") from None
