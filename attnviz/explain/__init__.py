"""Explanations of a generated summary: a registry of ``MethodSpec``s keyed by snake_case name.

Every method runs on a ``Scorer`` (the model seam: one summary, teacher-forced, scored under perturbed
sources) and returns an Attribution whose scores [T, S] explain each summary token by the source tokens.
A method's spec, beside its code, says its parameters, cost, whether it samples and its per-token
reference; ``register`` adds one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from attnviz.errors import InputError, UnknownOptionError
from attnviz.explain.attention import ATTENTION_SPEC
from attnviz.explain.gradients import INPUT_X_GRADIENT, INTEGRATED_GRADIENTS, SALIENCY
from attnviz.explain.partition import PARTITION_SHAP
from attnviz.explain.perturbation import KERNEL_SHAP, LIME, OCCLUSION
from attnviz.explain.spec import MethodSpec, Param
from attnviz.models.scorer import DEFAULT_MEMORY_BUDGET_MB, Scorer
from attnviz.types import Attribution

METHODS: dict[str, MethodSpec] = {spec.name: spec for spec in (
    ATTENTION_SPEC, INTEGRATED_GRADIENTS, INPUT_X_GRADIENT, SALIENCY, OCCLUSION, LIME, KERNEL_SHAP, PARTITION_SHAP)}

__all__ = ["DEFAULT_MEMORY_BUDGET_MB", "METHODS", "Attribution", "MethodSpec", "Param", "Scorer",
           "explain", "method_names", "method_title", "register", "resolve_params", "unregister"]


def register(spec: MethodSpec) -> None:
    """Add a method (after the others); its name must be new and snake_case."""
    if spec.name in METHODS or not spec.name.isidentifier() or spec.name != spec.name.lower() or spec.name == "all":
        raise ValueError(f"cannot register a method named {spec.name!r}")
    METHODS[spec.name] = spec


def unregister(name: str) -> None:
    METHODS.pop(name, None)


def method_title(name: str) -> str:
    """A method as people write it ("Integrated Gradients" for integrated_gradients); any other name (an
    attention head, the copy share, a document's own method) as it is."""
    spec = METHODS.get(name)
    return spec.title or spec.name if spec is not None else name


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


def resolve_params(names: Sequence[str], params: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Every named method's full, checked parameters (defaults filled in); InputError for a parameter of an
    unknown method, an unknown parameter or a bad value."""
    params = params or {}
    for name in params:
        if name not in METHODS:
            raise UnknownOptionError("attribution method", name, METHODS)
    return {name: METHODS[name].resolve(params.get(name)) for name in names}


def explain(scorer: Scorer, methods: str | Sequence[str] = "all", *, params: dict[str, dict[str, Any]] | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, Attribution]:
    """Run each method on the scorer's summary; ``params`` maps a method name to its keyword arguments.
    Every parameter is checked before the first method runs."""
    names = method_names(methods)
    resolved = resolve_params(names, params)
    results = {}
    for name in names:
        if progress is not None:
            progress(name)
        results[name] = METHODS[name](scorer, **resolved[name])
    return results
