"""Plotly figures and pandas frames built from numpy results (no torch, no streamlit).

Plotly renders a subset of HTML in every text it draws (titles, tick labels, legend names, hover labels:
``<a href>``, ``<b>``, ``<br>``), and a document opened in the page is anyone's: every string that comes from a
text, a model or a document (tokens, labels, method and variant names) goes through ``plot_text`` once, where
the figure is built, and no hover template holds such a string (it comes in through customdata, ``meta`` or the
trace's name, so that a ``%{…}`` in it is not read as a placeholder)."""
from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

from attnviz.agreement import METRIC_LABELS, METRICS
from attnviz.faithfulness import RANDOM
from attnviz.measures import HeadFaithfulness
from attnviz.types import Generation
from attnviz.userinput import visible

SIGNED_SCALE = "RdBu_r"      # red: raises the summary token's log-probability; blue: lowers it
UNSIGNED_SCALE = "Purples"   # magnitudes only (attention, saliency)
POSITIVE, NEGATIVE, UNSIGNED = (214, 39, 40), (31, 119, 180), (106, 81, 163)
ROW_PX = 18                  # one source row of a heatmap: a line of 12 px text
TOP_PX = 110                 # a heatmap's title and summary-token labels above the rows
LABEL_CHARS = 36             # a source row's label (a sentence is cut; the hover gives it whole)
COLUMNS_PX = 330             # the cells' width in a half-page heatmap, its row labels and colour bar aside
MIN_LABEL_CHARS = 4          # a column label shorter than this is not worth drawing: label every k-th column


def plot_text(text: str) -> str:
    """A user's or a document's string for any text plotly draws: visible (``visible``), and <, > and & as
    entities (&lt; &gt; &amp;, which plotly shows as the characters; it shows &quot; as is), so that no tag in it
    is drawn as a link, bold or a line break."""
    return html.escape(visible(text), quote=False)


def html_text(text: str, *, quote: bool = False) -> str:
    """A user's string for HTML (text or, with ``quote``, an attribute value): visible and escaped."""
    return html.escape(visible(text), quote=quote)


HOVER = 'summary #%{customdata[0]} "%{customdata[1]}" ← source #%{customdata[2]} "%{customdata[3]}": %{customdata[4]:.3f}<extra></extra>'


def _hover_data(summary_tokens: list[str], source_tokens: list[str], values: np.ndarray, offset: int = 0) -> np.ndarray:
    """customdata [S, T, 5] (source rows, summary columns): summary index, summary token, source index, source
    token (HTML-escaped), value; ``values`` [T, S]."""
    t, s = len(summary_tokens), len(source_tokens)
    data = np.empty((s, t, 5), dtype=object)
    data[..., 4] = np.asarray(values).T
    data[..., 0] = np.arange(t)[None, :]
    data[..., 1] = np.array([plot_text(x) for x in summary_tokens], dtype=object)[None, :]
    data[..., 2] = offset + np.arange(s)[:, None]
    data[..., 3] = np.array([plot_text(x) for x in source_tokens], dtype=object)[:, None]
    return data


def tick_label(text: str, limit: int = LABEL_CHARS) -> str:
    """A token or sentence as an axis label: escaped, and cut to ``limit`` characters with an ellipsis (the
    hover label gives it whole)."""
    text = visible(text)
    return plot_text(text if len(text) <= limit else text[:limit - 1] + "…")


def column_ticks(labels: list[str], width_px: int = COLUMNS_PX) -> tuple[list[int], list[str]]:
    """(positions, texts) of the column labels of a heatmap ``width_px`` wide (half the page): horizontal, on
    two staggered lines (every other one on the upper), each cut to two columns' width at about 7 px a
    character (at most 14); where that leaves fewer than ``MIN_LABEL_CHARS``, every k-th column is labelled
    (the hover names them all)."""
    per_column = 7 * max(len(labels), 1)                       # px a character, times the columns
    step = max(1, -(-MIN_LABEL_CHARS * per_column // (2 * width_px)))   # the smallest giving MIN_LABEL_CHARS
    chars = min(14, 2 * step * width_px // per_column)
    positions = list(range(0, len(labels), step))
    return positions, [tick_label(labels[j], chars) + ("" if i % 2 else "<br> ") for i, j in enumerate(positions)]


def token_heatmap(scores: np.ndarray, summary_tokens: list[str], source_tokens: list[str], *,
                  title: str, signed: bool = False, source_offset: int = 0,
                  hover_values: np.ndarray | None = None) -> go.Figure:
    """Heatmap of scores [T, S], drawn with the source down the rows and the summary across the columns: every
    row's label is horizontal and one line tall (``ROW_PX``), so a window of a long source reads down the page
    like the text, and every summary token labels its column at the top.

    Cells sit at integer positions and the tokens are tick labels, so repeated tokens stay distinct.
    ``source_offset``: position of the first row in the whole source (for a window of a long text).
    ``hover_values`` [T, S]: the numbers the hover label shows (e.g. raw scores when ``scores`` were
    normalised for colour); default ``scores``.
    """
    t, s = scores.shape
    if (t, s) != (len(summary_tokens), len(source_tokens)):
        raise ValueError(f"scores {scores.shape} do not match {len(summary_tokens)} summary × {len(source_tokens)} source tokens")
    limit = max(float(np.abs(scores).max()) if scores.size else 1.0, 1e-12)
    colour = (dict(colorscale=SIGNED_SCALE, zmid=0.0, zmin=-limit, zmax=limit) if signed
              else dict(colorscale=UNSIGNED_SCALE, zmin=0.0, zmax=limit))
    rows = source_offset + np.arange(s)
    figure = go.Figure(go.Heatmap(z=np.asarray(scores).T, x=np.arange(t), y=rows,
                                  customdata=_hover_data(summary_tokens, source_tokens,
                                                         scores if hover_values is None else hover_values,
                                                         source_offset),
                                  hovertemplate=HOVER, **colour,
                                  colorbar=dict(thickness=12, len=min(1.0, 400 / (ROW_PX * s + 1)))))
    columns, column_labels = column_ticks(summary_tokens)
    figure.update_layout(
        title=dict(text=plot_text(title), y=1.0, yanchor="top", yref="container", pad=dict(t=8)),
        height=TOP_PX + ROW_PX * s + 20, margin=dict(l=10, r=10, t=TOP_PX, b=20),
        modebar=dict(orientation="v"),             # down the right edge, over no label
        xaxis=dict(tickmode="array", tickvals=columns, ticktext=column_labels, side="top", tickangle=0,
                   automargin=True),
        yaxis=dict(tickmode="array", tickvals=rows.tolist(), ticktext=[tick_label(x) for x in source_tokens],
                   autorange="reversed", automargin=True, tickfont=dict(size=12)),
    )
    return figure


AttentionView = tuple[int | None, int | None]     # (layer, head); None: the mean over that axis


def attention_views(generation: Generation) -> dict[str, AttentionView]:
    """The cross-attention views a model offers, by label: the mean over everything first, then per layer
    (mean over its heads) and per layer and head where there are several; just per head for one layer."""
    layers, heads = generation.attention_layers.shape[:2]
    views: dict[str, AttentionView] = {"average": (None, None)}
    for layer in range(layers):
        if layers > 1:
            views[f"layer {layer} (mean over heads)"] = (layer, None)
        for head in range(heads if heads > 1 else 0):
            views[f"layer {layer}, head {head}" if layers > 1 else f"head {head}"] = (layer, head)
    return views


def attention_weights(generation: Generation, view: AttentionView = (None, None)) -> np.ndarray:
    """Cross-attention [T, S] of one ``view`` (``attention_views``); ValueError for one the model lacks."""
    layer, head = view
    stack = generation.attention_layers                                              # (L, H, T, S)
    if layer is None:
        return generation.attention
    if not 0 <= layer < stack.shape[0] or head is not None and not 0 <= head < stack.shape[1]:
        raise ValueError(f"layer {layer}, head {head} does not exist in this model")
    return stack[layer].mean(axis=0) if head is None else stack[layer, head]


def attention_heatmap(generation: Generation, view: AttentionView = (None, None), window: slice | None = None) -> go.Figure:
    """Raw cross-attention [T, S] of one ``view`` (the average by default) over the source columns in
    ``window`` (default all), at their positions in the whole source."""
    window = window or slice(0, len(generation.source_tokens))
    weights = attention_weights(generation, view)
    label = next((k for k, v in attention_views(generation).items() if v == view), "")
    title = "Cross-attention (summary token ← source token)" if view == (None, None) else f"attention, {label}"
    return token_heatmap(weights[:, window], generation.summary_tokens, generation.source_tokens[window], title=title,
                         source_offset=window.start)


def summary_chips_html(generation: Generation, focus: int | None = None) -> str:
    """The summary as chips: each token with its probability and, for pointer models, whether it was
    mostly copied from the source (p_gen < 0.5) or generated. Tokens are HTML-escaped."""
    chips = []
    for i, (token, logp) in enumerate(zip(generation.summary_tokens, generation.token_logprobs)):
        p = float(np.exp(logp))
        if generation.p_gen is None:
            kind, tip = "generated", f"p = {p:.2f}"
        else:
            g = float(generation.p_gen[i])
            kind = "copied" if g < 0.5 else "generated"
            tip = f"p = {p:.2f}, p_gen = {g:.2f} ({kind})"
        border = "2px solid #111" if i == focus else "1px solid rgba(0,0,0,0.15)"
        chips.append(
            f'<span class="attnviz-chip attnviz-{kind}" title="#{i} {html_text(token, quote=True)}: {tip}" '
            f'style="display:inline-block;margin:2px 3px;padding:3px 8px;border-radius:12px;border:{border};'
            f'background:{"#e8f1fb" if kind == "copied" else "#fdf0e3"};font-size:1.05rem">'
            f'{html_text(token)}<sub style="color:#666;font-size:0.7rem;margin-left:3px">{p:.2f}</sub></span>')
    legend = ('<div style="font-size:0.8rem;color:#555;margin-top:4px">'
              '<span style="background:#e8f1fb;padding:1px 6px;border-radius:8px">copied from the source</span> '
              '<span style="background:#fdf0e3;padding:1px 6px;border-radius:8px">generated</span> '
              '· copied: the pointer gave it more than half its probability (p_gen, the share generated from the '
              'vocabulary, below 0.5; hover a token for its p_gen) · the small number is the token\'s probability'
              '</div>') if generation.p_gen is not None else ""
    return f'<div class="attnviz-summary">{"".join(chips)}</div>{legend}'


def agreement_figure(per_token: dict[str, np.ndarray], summary_tokens: list[str], *, focus: int | None = None,
                     title: str = "Spearman ρ with attention, per summary token",
                     y_range: tuple[float, float] = (-1, 1)) -> go.Figure:
    """Grouped bars: for each summary token (x, integer positions), each method's rank correlation [T]."""
    figure = go.Figure()
    labels = [plot_text(tok) for tok in summary_tokens]
    for name, values in per_token.items():
        figure.add_bar(x=np.arange(len(summary_tokens)), y=values, name=plot_text(name), customdata=labels,
                       hovertemplate="%{fullData.name} · summary #%{x} \"%{customdata}\": %{y:.3f}<extra></extra>")
    if focus is not None:
        figure.add_vrect(x0=focus - 0.5, x1=focus + 0.5, fillcolor="rgba(0,0,0,0.08)", line_width=0)
    figure.update_layout(title=plot_text(title), barmode="group", height=300, margin=dict(l=10, r=10, t=40, b=10),
                         yaxis=dict(range=list(y_range)),
                         xaxis=dict(tickmode="array", tickvals=list(range(len(summary_tokens))), ticktext=labels))
    return figure


def agreement_matrix_figure(matrix: np.ndarray, methods: list[str], metric: str) -> go.Figure:
    """Method × method heatmap of one agreement metric (mean over summary tokens), values in the cells."""
    names = [plot_text(m) for m in methods]
    distance, label = metric == "js_distance", plot_text(METRIC_LABELS.get(metric, metric))
    figure = go.Figure(go.Heatmap(
        z=matrix, x=names, y=names, zmin=0 if distance else -1, zmax=1, colorscale="Viridis_r" if distance else "RdBu_r",
        text=np.vectorize(lambda v: "" if not np.isfinite(v) else f"{v:.2f}")(matrix), texttemplate="%{text}",
        meta=[label], hovertemplate="%{y} vs %{x}: %{meta[0]} = %{z:.3f}<extra></extra>",
        colorbar=dict(thickness=12)))
    figure.update_layout(title=f"{label} between methods (mean over summary tokens)", height=120 + 45 * len(methods),
                         margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed"))
    return figure


def head_agreement_figure(matrix: np.ndarray, method: str, metric: str) -> go.Figure:
    """Layers × heads heatmap of one metric between each head's attention and ``method`` ([L, H], mean over
    summary tokens); the best head is outlined (lowest for a distance, highest otherwise)."""
    distance, label = metric == "js_distance", plot_text(METRIC_LABELS.get(metric, metric))
    return layers_heads_figure(matrix, f"{label} with {plot_text(method)}",
                               f"{label} of each head's attention with {plot_text(method)}",
                               z_range=(0, 1) if distance else (-1, 1),
                               colorscale="Viridis_r" if distance else "RdBu_r", lowest_best=distance)


def head_faithfulness_figure(heads: HeadFaithfulness, measure: str) -> go.Figure:
    """Layers × heads heatmap of each head's AOPC ``measure`` ("comprehensiveness": highest outlined, or
    "sufficiency": lowest outlined), its colour scale centred on the random baseline's."""
    matrix, chance = getattr(heads, measure), heads.random[measure]
    centre = chance if np.isfinite(chance) else 0.0             # a document may hold no baseline (null)
    reach = float(np.nanmax(np.abs(matrix - centre))) if np.isfinite(matrix).any() else 1.0
    return layers_heads_figure(matrix, f"AOPC {measure}",
                               f"AOPC {measure} of each head's attention (random order: {chance:.3f})",
                               z_range=(centre - reach, centre + reach),
                               colorscale="RdBu" if measure == "sufficiency" else "RdBu_r",
                               lowest_best=measure == "sufficiency")


def layers_heads_figure(matrix: np.ndarray, hover_label: str, title: str, *, z_range: tuple[float, float],
                        colorscale: str, lowest_best: bool) -> go.Figure:
    """A layers × heads heatmap of ``matrix`` [L, H] with its values written in, the best head outlined
    (``hover_label`` and ``title`` are HTML, already escaped)."""
    layers, heads = matrix.shape
    figure = go.Figure(go.Heatmap(
        z=matrix, x=list(range(heads)), y=list(range(layers)), zmin=z_range[0], zmax=z_range[1],
        colorscale=colorscale, colorbar=dict(thickness=12),
        text=np.vectorize(lambda v: "" if not np.isfinite(v) else f"{v:.2f}")(matrix), texttemplate="%{text}",
        meta=[hover_label], hovertemplate="layer %{y}, head %{x}: %{meta[0]} = %{z:.3f}<extra></extra>"))
    if np.isfinite(matrix).any():
        best = np.nanargmin(matrix) if lowest_best else np.nanargmax(matrix)
        layer, head = divmod(int(best), heads)
        figure.add_shape(type="rect", x0=head - 0.5, x1=head + 0.5, y0=layer - 0.5, y1=layer + 0.5,
                         line=dict(color="black", width=3))
    figure.update_layout(title=title, xaxis_title="head", yaxis_title="layer", height=140 + 40 * layers,
                         margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(autorange="reversed", dtick=1),
                         xaxis=dict(dtick=1))
    return figure


def deletion_figure(curves: dict[str, np.ndarray], fractions: tuple[float, ...], *, spread: np.ndarray | None = None,
                    title: str = "Deletion curves: log-probability as the top-ranked source tokens are removed") -> go.Figure:
    """One line per method: y = log P(summary token) after removing the top k% of the source (k = 0 first);
    ``spread`` [K + 1] draws ± one standard deviation around the curve named "random"."""
    x = [0.0] + [100 * f for f in fractions]
    figure = go.Figure()
    for name, y in curves.items():
        figure.add_scatter(x=x, y=y, mode="lines+markers", name=plot_text(name),
                           line=dict(dash="dot", color="gray") if name == "random" else None,
                           hovertemplate="%{fullData.name}: top %{x}% removed → %{y:.3f}<extra></extra>")
    if spread is not None and "random" in curves:
        y = np.asarray(curves["random"])
        figure.add_scatter(x=x + x[::-1], y=list(y + spread) + list((y - spread)[::-1]), fill="toself",
                           mode="lines", fillcolor="rgba(128,128,128,0.2)", line=dict(width=0),
                           name="random ± 1 std (a band, not data)", hoverinfo="skip")
    figure.update_layout(title=title, height=340, margin=dict(l=10, r=10, t=40, b=10),
                         xaxis=dict(title="% of source tokens removed (highest-ranked first)"),
                         yaxis=dict(title="log P(summary token)"))
    return figure


def stability_figure(source_tokens: list[str], bands: dict[str, tuple[np.ndarray, np.ndarray]], *, focus_label: str,
                     source_offset: int = 0) -> go.Figure:
    """One line per method over the source positions with a ± one-standard-deviation band over seeds:
    ``bands`` maps a method to (mean [S], std [S]) of the focused summary token's scores."""
    x = list(range(source_offset, source_offset + len(source_tokens)))
    labels = [plot_text(t) for t in source_tokens]
    figure = go.Figure()
    for name, (mean, std) in bands.items():
        mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        figure.add_scatter(x=x + x[::-1], y=list(mean + std) + list((mean - std)[::-1]), fill="toself", opacity=0.25,
                           mode="lines", line=dict(width=0), name=f"{plot_text(name)} ± 1 std", hoverinfo="skip")
        figure.add_scatter(x=x, y=mean, mode="lines+markers", name=plot_text(name), customdata=np.stack([labels, std], 1),
                           hovertemplate="%{fullData.name} · source #%{x} %{customdata[0]}: %{y:.4f} "
                                         "± %{customdata[1]:.4f}<extra></extra>")
    figure.update_layout(title=f"Spread over seeds for {plot_text(focus_label)}", height=320,
                         margin=dict(l=10, r=10, t=40, b=10),
                         xaxis=dict(tickmode="array", tickvals=x, ticktext=labels, title="source"),
                         yaxis=dict(title="score (mean over seeds)"))
    return figure


def counterfactual_figure(change: dict[str, np.ndarray], summary_tokens: list[str]) -> go.Figure:
    """Grouped bars: per summary token, each counterfactual's change of its log-probability."""
    x = list(range(len(summary_tokens)))
    figure = go.Figure()
    for name, values in change.items():
        figure.add_bar(x=x, y=values, name=plot_text(name.replace("_", " ")),
                       hovertemplate="%{fullData.name} · #%{x}: Δ log P %{y:.3f}<extra></extra>")
    figure.update_layout(barmode="group", height=320, margin=dict(l=10, r=10, t=40, b=10),
                         title="Change of each summary token's log-probability when attention is replaced",
                         xaxis=dict(tickmode="array", tickvals=x, ticktext=[plot_text(t) for t in summary_tokens]),
                         yaxis=dict(title="Δ log P (replaced − own)"))
    return figure


def corpus_figures(aggregate: dict) -> list[go.Figure]:
    """The corpus report's figures from its ``aggregate``: agreement by method pair (every metric, mean ±
    std over documents; none with a single method) and AOPC comprehensiveness/sufficiency by method."""
    figures = []
    pairs = list(aggregate["agreement"])
    if pairs:
        agreement = go.Figure()
        for metric in METRICS:
            cells = [aggregate["agreement"][p][metric] for p in pairs]
            agreement.add_bar(name=METRIC_LABELS[metric], x=[plot_text(p) for p in pairs],
                              y=[c["mean"] for c in cells], error_y=_interval_bars(cells))
        agreement.update_layout(title="Agreement by method pair (mean over documents, bootstrap 95% interval)",
                                barmode="group", height=420)
        figures.append(agreement)
    names = list(aggregate["faithfulness"])
    faith = go.Figure()
    for key, label in (("aopc_comprehensiveness", "comprehensiveness (higher: more faithful)"),
                       ("aopc_sufficiency", "sufficiency (lower: more faithful)")):
        cells = [aggregate["faithfulness"][n][key] for n in names]
        faith.add_bar(name=label, x=[plot_text(n) for n in names], y=[c["mean"] for c in cells],
                      error_y=_interval_bars(cells))
    faith.update_layout(title=f"AOPC by method; '{RANDOM}' is the chance baseline (mean over documents, bootstrap "
                              "95% interval)", barmode="group", height=420)
    figures.append(faith)
    return figures


def models_figures(table: list[dict]) -> list[go.Figure]:
    """The models report's plots from its table (``attnviz.report.models_table``): each method's Spearman ρ
    with its model's attention, and its AOPC comprehensiveness and sufficiency, one bar group per model,
    with bootstrap 95% intervals."""
    def bars(figure: go.Figure, pick: Callable[[dict], dict | None], label: str) -> None:
        for model in dict.fromkeys(r["model"] for r in table):
            rows = [r for r in table if r["model"] == model and pick(r)]
            cells = [pick(r) for r in rows]
            figure.add_bar(name=plot_text(f"{model}{label}"), x=[plot_text(r["method"]) for r in rows],
                           y=[c["mean"] for c in cells], error_y=_interval_bars(cells))

    agreement = go.Figure()
    bars(agreement, lambda r: (r["agreement_with_attention"] or {}).get("spearman_rho"), "")
    agreement.update_layout(title="Spearman ρ with the model's own attention (mean, 95% interval)", barmode="group",
                            height=420, yaxis=dict(range=[-1, 1]))
    faithfulness = go.Figure()
    for key, label in (("aopc_comprehensiveness", ": comprehensiveness"), ("aopc_sufficiency", ": sufficiency")):
        bars(faithfulness, lambda r, key=key: r[key] if r[key]["mean"] is not None else None, label)
    faithfulness.update_layout(title=f"AOPC by model and method; '{RANDOM}' is chance (mean, 95% interval; "
                                     "comprehensiveness higher and sufficiency lower is more faithful)",
                               barmode="group", height=460)
    return [agreement, faithfulness]


def _interval_bars(cells: list[dict]) -> dict:
    """Plotly error bars from report ``stats`` cells: from the mean to each end of its 95% interval."""
    return dict(type="data", symmetric=False,
                array=[c["ci95"][1] - c["mean"] if c.get("ci95") else 0 for c in cells],
                arrayminus=[c["mean"] - c["ci95"][0] if c.get("ci95") else 0 for c in cells])
