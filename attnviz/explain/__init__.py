"""Explanations of a generated summary: a registry of methods keyed by snake_case name.

Every method takes (scorer, generation, **params) and returns an Attribution whose scores [T, S]
explain each summary token by the source tokens.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from attnviz.errors import InputError, UnknownOptionError
from attnviz.explain.attention import attention
from attnviz.explain.base import DEFAULT_MEMORY_BUDGET_MB, Attribution, ForcedScorer
from attnviz.explain.gradients import input_x_gradient, integrated_gradients, saliency
from attnviz.explain.partition import partition_shap
from attnviz.explain.perturbation import kernel_shap, lime, occlusion
from attnviz.model import PointerGenerator
from attnviz.types import Generation

METHODS: dict[str, Callable[..., Attribution]] = {
    "attention": attention,
    "integrated_gradients": integrated_gradients,
    "input_x_gradient": input_x_gradient,
    "saliency": saliency,
    "occlusion": occlusion,
    "lime": lime,
    "kernel_shap": kernel_shap,
    "partition_shap": partition_shap,
}

__all__ = ["METHODS", "Attribution", "ForcedScorer", "explain", "method_names", "method_parameters"]


def method_names(methods: str | Sequence[str]) -> list[str]:
    """'all', a comma-separated string or a list → validated method names, registry order."""
    if isinstance(methods, str):
        methods = list(METHODS) if methods.strip() == "all" else [m.strip() for m in methods.split(",") if m.strip()]
    if not methods:
        raise InputError(f"no method chosen; valid choices: all, {', '.join(METHODS)}")
    for name in methods:
        if name not in METHODS:
            raise UnknownOptionError("attribution method", name, METHODS)
    return [m for m in METHODS if m in methods]


def method_parameters(name: str) -> dict[str, Any]:
    """The tunable parameters of a method with their defaults."""
    signature = inspect.signature(METHODS[name])
    return {p.name: p.default for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY}


def explain(model: PointerGenerator, generation: Generation, methods: str | Sequence[str] = "all", *,
            params: dict[str, dict[str, Any]] | None = None, memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB,
            progress: Callable[[str], None] | None = None) -> dict[str, Attribution]:
    """Run each method on one generated summary; ``params`` maps a method name to its keyword arguments."""
    names = method_names(methods)
    params = params or {}
    for name, given in params.items():
        if name not in METHODS:
            raise UnknownOptionError("attribution method", name, METHODS)
        unknown = set(given) - set(method_parameters(name))
        if unknown:
            raise InputError(f"{name} has no parameter {sorted(unknown)[0]!r}; it takes: "
                             f"{', '.join(method_parameters(name)) or 'none'}")
    scorer = ForcedScorer(model, generation, memory_budget_mb=memory_budget_mb)
    results = {}
    for name in names:
        if progress is not None:
            progress(name)
        try:
            results[name] = METHODS[name](scorer, generation, **params.get(name, {}))
        except ValueError as exc:
            raise InputError(f"{name}: {exc}") from None
    return results
