"""What the house needs to know about one attribution method, declared once beside its code.

A ``MethodSpec`` names the method, the function that runs it on a ``Scorer``, its parameters (default,
bounds, label), its cost in forward and backward passes on S source and T summary tokens, whether it
samples (then it takes a ``seed``), and its per-token library reference. The registry
(``attnviz.explain.METHODS``), the cost estimate, the page's sidebar, ``check`` and the benchmarks read
specs; adding a method means writing its function and its spec, and calling ``register``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from attnviz.errors import InputError
from attnviz.userinput import Param, shown

Bound = str                     # "exact", "at most" or "at least"
CostFunction = Callable[[int, int, dict[str, Any]], tuple[int, int, Bound]]
Reference = Callable[[Any, Sequence[int], dict[str, Any]], np.ndarray]


@dataclass(frozen=True)
class MethodSpec:
    """One attribution method. ``run(scorer, **params) → Attribution``; ``cost(S, T, params)`` →
    (forward passes, backward passes, bound); ``reference(scorer, rows, params)`` → the library called once
    per summary token [R, S], compared by ``check`` with ``run`` at ``reference_params(params)`` (default:
    the same params). Call the spec itself (``spec(scorer, **params)``) to run it: that checks the
    parameters and serves feature scorers."""

    name: str                       # code name: the CLI, the exports and the document use it
    run: Callable[..., Any]
    cost: CostFunction
    params: tuple[Param, ...] = ()
    samples: bool = False
    reference: Reference | None = None
    reference_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    reference_label: str = "captum per token"
    summary: str = ""
    on_presence: bool = True        # runs on presence gates, so on features too; False: summed per feature
    check_together: Callable[[dict[str, Any]], None] | None = None   # InputError for values that do not fit together
    title: str = ""                 # the name as people write it, for the page (default: the code name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated by ``given``, each value checked; InputError for an unknown or bad one."""
        known = {p.name: p for p in self.params}
        if not isinstance(given, (dict, type(None))):
            raise InputError(f"{self.name}: parameters must be given by name, not as {shown(given)}")
        for name in given or {}:
            if name not in known:
                raise InputError(f"{self.name} has no parameter {shown(name)}; it takes: {', '.join(known) or 'none'}")
        resolved = {name: p.check(self.name, (given or {}).get(name, p.default)) for name, p in known.items()}
        if self.check_together is not None:
            self.check_together(resolved)
        return resolved

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
