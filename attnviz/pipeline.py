"""Text → Explanation: summarize with a model, run the chosen methods on one shared scorer, compare them,
and measure faithfulness. The CLI (``explain``, ``report``) uses ``explain_text``; the page runs the same
steps one at a time (``new_explanation``, ``run_method``, ``measure_faithfulness``) so that it stays lazy.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from attnviz.errors import InputError
from attnviz.explain import METHODS, method_names, resolve_params
from attnviz.explain.cost import check_budget, estimate, seconds_per_pass
from attnviz.explain.grouped import FeatureScorer
from attnviz.explanation import ATTENTION, Explanation, ExplanationSettings, check_baseline
from attnviz.faithfulness import faithfulness, faithfulness_passes, head_faithfulness
from attnviz.features import DEFAULT_LANGUAGE, Features, check_granularity, make_features
from attnviz.models.base import DecodingSettings, SummaryModel
from attnviz.models.scorer import Scorer
from attnviz.stability import stability
from attnviz.types import Attribution, Generation

DEFAULT_RANDOM_ORDERS = 10


def method_params(names: Sequence[str], params: dict[str, dict[str, Any]] | None, seed: int) -> dict[str, dict[str, Any]]:
    """Every named method's full parameters: defaults, ``seed`` for the sampling methods, then ``params``."""
    seeded = {name: {**({"seed": seed} if METHODS[name].samples else {}), **(params or {}).get(name, {})}
              for name in names}
    return resolve_params(names, {**(params or {}), **seeded})


def new_explanation(model: SummaryModel, generation: Generation, decoding: DecodingSettings, *,
                    params: dict[str, dict[str, Any]] | None = None, random_orders: int = DEFAULT_RANDOM_ORDERS,
                    seed: int = 0, features: Features | None = None) -> Explanation:
    """An Explanation of ``generation`` holding only attention (free: it came with the generation), its
    methods to explain ``features`` (None: the source tokens)."""
    settings = ExplanationSettings(model=model.name, device=str(model.device), max_source_tokens=model.max_source_tokens,
                                   decoding=decoding.to_dict(), params=params or {}, random_orders=random_orders,
                                   seed=seed)
    explanation = Explanation(generation, settings, features=features)
    explanation.add(run_method(explanation_scorer(model, explanation), ATTENTION, {}))
    return explanation


def features_scorer(model: SummaryModel, generation: Generation, features: Features | None) -> Scorer:
    """The model's scorer of this summary, on ``features`` where there are some (None: tokens)."""
    scorer = model.scorer(generation)
    return scorer if features is None else FeatureScorer(scorer, features)


def explanation_scorer(model: SummaryModel, explanation: Explanation) -> Scorer:
    """The scorer of the explanation's summary, on its features where it has them."""
    return features_scorer(model, explanation.generation, explanation.features)


def head_attributions(explanation: Explanation) -> list[Attribution]:
    """Each layer and head of the cross-attention as a method of its own ([T, S] each, free like attention):
    "attention head h" for a model with one layer of heads, "attention layer l head h" with several layers;
    none for a model with one head in one layer."""
    heads = explanation.attributions[ATTENTION].head_scores                          # (L, H, T, S) or None
    if heads is None or heads.shape[0] * heads.shape[1] < 2:
        return []
    layered = heads.shape[0] > 1
    return [replace(explanation.attributions[ATTENTION], scores=heads[layer, h].copy(), head_scores=None,
                    method=f"{ATTENTION} layer {layer} head {h}" if layered else f"{ATTENTION} head {h}",
                    params={"layer": layer, "head": h} if layered else {"head": h})
            for layer in range(heads.shape[0]) for h in range(heads.shape[1])]


COPY_ATTENTION, GENERATE_ATTENTION = f"{ATTENTION} (copy)", f"{ATTENTION} (generate)"


def pointer_attributions(explanation: Explanation) -> list[Attribution]:
    """A pointer-generator's attention split per summary token into what the pointer copied, (1 − p_gen) ·
    attention, and what fed the generator, p_gen · attention ([T, S] each, per head too; their sum is
    attention); none for a model without a pointer (p_gen None)."""
    p_gen = explanation.generation.p_gen
    if p_gen is None:
        return []
    attention = explanation.attributions[ATTENTION]
    out = []
    for name, share in ((COPY_ATTENTION, 1.0 - p_gen), (GENERATE_ATTENTION, p_gen)):
        weight = np.asarray(share, dtype=np.float64)[:, None]                        # (T, 1)
        out.append(replace(attention, method=name, scores=weight * attention.scores,
                           head_scores=None if attention.head_scores is None else weight * attention.head_scores,
                           params={"share": "1 - p_gen" if name == COPY_ATTENTION else "p_gen"}))
    return out


def run_method(scorer: Scorer, name: str, params: dict[str, Any]) -> Attribution:
    return METHODS[name](scorer, **params)


def measure_faithfulness(explanation: Explanation, scorer: Scorer) -> Explanation:
    """Fill the explanation's faithfulness for every method it holds (and the random baseline)."""
    figures, cost = faithfulness(scorer, explanation.scores, random_orders=explanation.settings.random_orders,
                                 seed=explanation.settings.seed)
    explanation.set_faithfulness(figures, cost)
    return explanation


def measure_head_faithfulness(explanation: Explanation, scorer: Scorer) -> Explanation:
    """Fill the faithfulness of each layer and head's attention as a ranking (``Explanation.head_faithfulness``)."""
    explanation.head_faithfulness = head_faithfulness(scorer, explanation.units.attention_layers,
                                                      random_orders=explanation.settings.random_orders,
                                                      seed=explanation.settings.seed)
    return explanation


MAX_SEEDS = 20


def check_seeds(seeds: object) -> int:
    """``seeds`` as a count of seeds per sampling method (1 = no stability run); InputError otherwise."""
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or not 1 <= seeds <= MAX_SEEDS:
        raise InputError(f"seeds must be a whole number from 1 to {MAX_SEEDS}, not {seeds!r}")
    return int(seeds)


def seed_runs(scorer: Scorer, name: str, params: dict[str, Any], seeds: int) -> list[Attribution]:
    """``name`` run with the seeds after ``params["seed"]`` (seeds − 1 more runs) on ``scorer``."""
    first = params["seed"]
    return [METHODS[name](scorer, **{**params, "seed": (first + i) % 2**32}) for i in range(1, seeds)]


def measure_stability(explanation: Explanation, scorer: Scorer, seeds: int) -> Explanation:
    """Run every sampling method of the explanation with ``seeds`` seeds in all (its own first) and fill
    ``explanation.stability``: spread, rank τ between seeds and agreement with attention per seed."""
    check_seeds(seeds)
    out = {}
    for name, attribution in explanation.attributions.items():
        if name in METHODS and METHODS[name].samples and seeds > 1:
            params = METHODS[name].resolve(attribution.params)
            runs = [attribution, *seed_runs(scorer, name, params, seeds)]
            out[name] = stability(name, [r.params["seed"] for r in runs], [r.scores for r in runs],
                                  explanation.scores[ATTENTION])
    explanation.stability = out or None
    return explanation


def check_request(scorer: Scorer, names: Sequence[str], params: dict[str, dict[str, Any]], max_seconds: float,
                  random_orders: int | None, heads: int = 0, free_methods: int = 1) -> float:
    """The estimated seconds of the methods (and faithfulness, with ``random_orders``, of them, of
    ``free_methods`` that cost no pass (attention, its heads) and of ``heads`` attention heads measured on
    their own) on this scorer's input; InputError with the estimate when they would take longer than
    ``max_seconds``."""
    per_forward, per_backward = seconds_per_pass(scorer)
    costs = estimate(list(names), params, scorer.source_len, scorer.summary_len, per_forward, per_backward)
    passes = 0 if random_orders is None else sum(faithfulness_passes(n, scorer.summary_len, random_orders)
                                                 for n in (len(names) + free_methods, heads) if n)
    return check_budget(costs, max_seconds, extra_seconds=passes * per_forward)


def explain_text(model: SummaryModel, text: str, methods: str | Sequence[str], *, decoding: DecodingSettings,
                 params: dict[str, dict[str, Any]] | None = None, random_orders: int = DEFAULT_RANDOM_ORDERS,
                 seed: int = 0, with_faithfulness: bool = True, with_head_faithfulness: bool = False,
                 heads_as_methods: bool = False, pointer_split: bool = False, max_seconds: float | None = None,
                 granularity: str = "tokens", span_starts: Sequence[int] | None = None,
                 language: str = DEFAULT_LANGUAGE, counterfactual: bool = False, seeds: int = 1,
                 progress: Callable[[str], None] | None = None) -> Explanation:
    """Summarize ``text`` and explain the summary with attention and ``methods`` (registry order), on one
    scorer; agreement always, faithfulness unless ``with_faithfulness`` is False, and each attention head's
    faithfulness with ``with_head_faithfulness``; with ``heads_as_methods``, a multi-head model's heads are
    methods too (``head_attributions``), compared and measured like the others; with ``pointer_split``, so are
    attention's copy and generate shares (``pointer_attributions``). ``granularity`` "sentences"
    or "spans" (starting at ``span_starts``) makes the methods explain those features instead of tokens
    (``attnviz.features``); ``counterfactual``: the summary re-scored with its attention replaced
    (``SummaryModel.counterfactual_attention``); ``seeds`` > 1: every sampling method also runs with seeds − 1 more
    seeds (``measure_stability``). Every parameter is checked
    before the model runs; with ``max_seconds``, a request whose estimate (timed on this input) is longer is
    refused before any method runs."""
    names = [m for m in method_names(methods) if m != ATTENTION]
    full_params = method_params(names, params, seed)
    check_baseline(random_orders, seed)
    check_granularity(granularity, span_starts)
    check_seeds(seeds)
    generation = model.summarize(text, decoding)
    features = make_features(generation, granularity, text=text, starts=span_starts, language=language)
    explanation = new_explanation(model, generation, decoding, params=full_params, random_orders=random_orders,
                                  seed=seed, features=features)
    scorer = explanation_scorer(model, explanation)
    free = (head_attributions(explanation) if heads_as_methods else []) + (
        pointer_attributions(explanation) if pointer_split else [])
    heads = int(np.prod(explanation.units.attention_layers.shape[:2])) if with_head_faithfulness else 0
    if max_seconds is not None:
        repeated = [n for n in names if METHODS[n].samples] * (seeds - 1)          # the stability runs
        check_request(scorer, names + repeated, full_params, max_seconds,
                      random_orders if with_faithfulness or heads else None, heads, free_methods=1 + len(free))
    for attribution in free:
        explanation.add(attribution)
    for name in names:
        if progress is not None:
            progress(name)
        explanation.add(METHODS[name](scorer, **full_params[name]))
    explanation.compare()
    if with_faithfulness:
        if progress is not None:
            progress("faithfulness")
        measure_faithfulness(explanation, scorer)
    if with_head_faithfulness:
        if progress is not None:
            progress("each head's faithfulness")
        measure_head_faithfulness(explanation, scorer)
    if counterfactual:
        explanation.counterfactual = model.counterfactual_attention(generation, seed=seed)
    if seeds > 1:
        if progress is not None:
            progress(f"{seeds} seeds of the sampling methods")
        measure_stability(explanation, scorer, seeds)
    return explanation
