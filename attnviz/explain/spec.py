"""What the house needs to know about one attribution method, declared once beside its code.

A ``MethodSpec`` names the method, the function that runs it on a ``Scorer``, its parameters (default,
bounds, label), its cost in forward and backward passes on S source and T summary tokens, whether it
samples (then it takes a ``seed``), and its per-token library reference. The registry
(``attnviz.explain.METHODS``), the cost estimate, the page's sidebar, ``check`` and the benchmarks read
specs; adding a method means writing its function and its spec, and calling ``register``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.errors import InputError

Bound = str                     # "exact", "at most" or "at least"
CostFunction = Callable[[int, int, dict[str, Any]], tuple[int, int, Bound]]
Reference = Callable[[Any, Sequence[int], dict[str, Any]], np.ndarray]


@dataclass(frozen=True)
class Param:
    """One tunable parameter. ``low``/``high`` bound numbers (inclusive); ``choices`` bound strings;
    ``page_high`` caps the page's input where one click should stay cheap; ``budget``: the page offers it."""

    name: str
    default: Any
    label: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    page_high: float | None = None
    budget: bool = False

    def check(self, method: str, value: Any, *, high: float | None = None) -> Any:
        """``value`` if it fits this parameter (at most ``high`` where given, else ``self.high``); InputError
        saying what fits otherwise. ``method`` names the owner in the message ("" for none)."""
        where = f"{method}: {self.name}" if method else self.name
        high = self.high if high is None else high
        if self.choices is not None:
            if value not in self.choices:
                raise InputError(f"{where} must be one of {', '.join(self.choices)}, not {value!r}")
            return value
        kind = type(self.default)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(f"{where} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
        if kind is int and not isinstance(value, (int, np.integer)):
            raise InputError(f"{where} must be an integer, not {value!r}")
        if not math.isfinite(value):
            raise InputError(f"{where} must be a finite number, not {value!r}")
        if self.low is not None and value < self.low:
            raise InputError(f"{where} must be at least {self.low:g}, not {value}")
        if high is not None and value > high:
            raise InputError(f"{where} must be at most {high:g}, not {value}")
        return kind(value)


@dataclass(frozen=True)
class MethodSpec:
    """One attribution method. ``run(scorer, **params) → Attribution``; ``cost(S, T, params)`` →
    (forward passes, backward passes, bound); ``reference(scorer, rows, params)`` → the library called once
    per summary token [R, S], compared by ``check`` with ``run`` at ``reference_params(params)`` (default:
    the same params). Call the spec itself (``spec(scorer, **params)``) to run it: that checks the
    parameters and serves feature scorers."""

    name: str
    run: Callable[..., Any]
    cost: CostFunction
    params: tuple[Param, ...] = ()
    samples: bool = False
    reference: Reference | None = None
    reference_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    reference_label: str = "captum per token"
    summary: str = ""
    on_presence: bool = True        # runs on presence gates, so on features too; False: summed per feature

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated by ``given``, each value checked; InputError for an unknown or bad one."""
        known = {p.name: p for p in self.params}
        if not isinstance(given, (dict, type(None))):
            raise InputError(f"{self.name}: parameters must be given by name, not as {type(given).__name__}")
        for name in given or {}:
            if name not in known:
                raise InputError(f"{self.name} has no parameter {name!r}; it takes: {', '.join(known) or 'none'}")
        return {name: p.check(self.name, (given or {}).get(name, p.default)) for name, p in known.items()}

    def passes(self, source_len: int, summary_len: int, params: dict[str, Any] | None = None) -> tuple[int, int, Bound]:
        """(forward, backward, bound) at ``params`` (defaults filled in)."""
        return self.cost(source_len, summary_len, self.resolve(params))

    def __call__(self, scorer: Any, **params: Any) -> Any:
        """Run on ``scorer`` with checked parameters; on a feature scorer (sentences, spans) a method that
        does not run on presence runs on its tokens and is summed per feature."""
        from attnviz.explain.grouped import run_on

        return run_on(scorer, self.run, self.on_presence, self.resolve(params))


def seed_param() -> Param:
    return Param("seed", 0, "Seed", low=0, high=2**32 - 1)
