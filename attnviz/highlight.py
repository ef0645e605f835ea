"""The source as highlighted text: one summary token's explanation read as the text itself, wrapped like a
paragraph, each source unit (token, word piece or sentence) on a background coloured by its score, as
Captum's ``visualize_text``, Inseq's HTML and SHAP's text plot show it. One block per method (attention
first), on the same scale rules as the heatmaps. Everything user-given is HTML-escaped."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attnviz.plots import NEGATIVE, POSITIVE, UNSIGNED, html_text

NO_SPACE_BEFORE = set(",.;:!?)]}%'’”") | {"'s", "n't", "…"}   # tokens that attach to the word before them
NO_SPACE_AFTER = set("([{“‘$")


@dataclass(frozen=True)
class HighlightBlock:
    """One method's view of the source for the focused summary token: ``shown`` [S] scaled to [-1, 1] (or
    [0, 1]) as the sidebar says, ``raw`` [S] the method's own values (shown on hover), ``signed`` whether the
    colours are diverging, ``legend`` what a colour means, in words."""

    title: str
    shown: np.ndarray
    raw: np.ndarray
    signed: bool
    legend: str


def score_background(value: float, signed: bool) -> str:
    """A CSS background for a score already scaled to [-1, 1] (or [0, 1]): the heatmaps' colours, its
    strength the score's size."""
    rgb = UNSIGNED if not signed else (POSITIVE if value >= 0 else NEGATIVE)
    alpha = min(1.0, abs(float(value))) if np.isfinite(value) else 0.0
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{0.85 * alpha:.3f})"


def joins(token: str, previous: str | None) -> bool:
    """Whether ``token`` is written without a space after ``previous`` (punctuation, clitics, a word's pieces)."""
    return previous is None or token in NO_SPACE_BEFORE or previous in NO_SPACE_AFTER or token.startswith("##")


def unit_html(token: str, position: int, shown: float, raw: float, signed: bool) -> str:
    """One source unit as a highlighted span whose title gives the unit, its position and its raw value."""
    tip = f"source #{position} \u201c{token}\u201d: {raw:.4g}"
    return (f'<span class="attnviz-unit" data-position="{position}" data-value="{raw:.6g}" '
            f'title="{html_text(tip, quote=True)}" style="background:{score_background(shown, signed)};'
            f'border-radius:3px;padding:1px 1px;box-decoration-break:clone">{html_text(token)}</span>')


def block_html(block: HighlightBlock, source_tokens: list[str]) -> str:
    """One method's block: its title and legend, then the whole source as wrapped, highlighted text."""
    if len(block.shown) != len(source_tokens) or len(block.raw) != len(source_tokens):
        raise ValueError(f"{block.title}: {len(block.shown)} scores for {len(source_tokens)} source units")
    parts, previous = [], None
    for j, token in enumerate(source_tokens):
        shown = token.removeprefix("##") if previous is not None and token.startswith("##") else token
        parts.append(("" if joins(token, previous) else " ")
                     + unit_html(shown, j, float(block.shown[j]), float(block.raw[j]), block.signed))
        previous = token
    return ('<div class="attnviz-block" style="min-width:0">'
            f'<div class="attnviz-block-title" style="font-weight:600;margin:6px 0 2px">{html_text(block.title)}'
            f'<span style="font-weight:normal;color:#666;font-size:0.8rem;margin-left:8px">'
            f'{html_text(block.legend)}</span></div>'
            '<div class="attnviz-text" style="line-height:1.9;overflow-wrap:anywhere;border:1px solid #eee;'
            f'border-radius:6px;padding:6px 10px">{"".join(parts)}</div></div>')


def highlighted_text_html(source_tokens: list[str], blocks: list[HighlightBlock]) -> str:
    """Every block, one under another (two side by side where the column is wide), none wider than the page."""
    body = "".join(block_html(block, source_tokens) for block in blocks)
    return ('<div class="attnviz-focus" style="display:grid;gap:4px 16px;'
            f'grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr))">{body}</div>')
