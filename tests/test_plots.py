import numpy as np
import pytest

from attnviz.plots import attention_heatmap, attention_views, attention_weights, token_heatmap
from attnviz.types import Generation


def _generation() -> Generation:
    attention = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    return Generation(
        source_tokens=["the", "<b>x</b>", "the"], summary_tokens=["the", "the"], summary="The the",
        source_ids=np.array([4, 1, 4]), source_ext_ids=np.array([4, 30, 4]), summary_ids=np.array([4, 4]),
        attention=attention, token_logprobs=np.array([-0.1, -0.2]), p_gen=np.array([0.5, 0.4]),
        layer_attention=np.stack([attention, attention[::-1]])[None])


def test_heatmap_uses_positions_and_escaped_token_labels():
    """The source down the rows (one horizontal label each), the summary across the columns."""
    fig = attention_heatmap(_generation())
    trace = fig.data[0]
    np.testing.assert_array_equal(trace.z, _generation().attention.T)
    assert list(trace.y) == [0, 1, 2] and list(trace.x) == [0, 1]     # repeated tokens stay distinct
    assert list(fig.layout.yaxis.ticktext) == ["the", "&lt;b&gt;x&lt;/b&gt;", "the"]
    assert fig.layout.xaxis.tickangle == 0 and fig.layout.yaxis.autorange == "reversed"
    assert list(trace.customdata[2][1]) == [1, "the", 2, "the", 0.8]  # source row 2, summary column 1
    assert ('summary #%{customdata[0]} "%{customdata[1]}" ← source #%{customdata[2]} "%{customdata[3]}": '
            '%{customdata[4]:.3f}') in trace.hovertemplate


def test_hover_shows_raw_values_when_colours_are_normalised():
    raw = np.array([[-2.0, 1.0]])
    fig = token_heatmap(raw / 2, ["a"], ["b", "c"], title="t", signed=True, hover_values=raw, source_offset=7)
    assert list(fig.data[0].customdata[0][0]) == [0, "a", 7, "b", -2.0]
    assert list(fig.data[0].y) == [7, 8]


def test_head_view_and_bad_head():
    gen = _generation()
    np.testing.assert_array_equal(attention_heatmap(gen, (0, 1)).data[0].z, gen.attention[::-1].T)
    with pytest.raises(ValueError, match="head 5"):
        attention_heatmap(gen, (0, 5))


def test_layer_and_head_views_of_a_transformer():
    """[L, H, T, S] attention: the average over everything, a layer's mean over heads, one head."""
    rng = np.random.default_rng(0)
    layers = rng.dirichlet(np.ones(3), size=(2, 4, 2))                          # (L=2, H=4, T=2, S=3)
    gen = _generation()
    gen = Generation(**{**gen.__dict__, "layer_attention": layers,
                        "attention": layers.mean(axis=(0, 1))})
    views = attention_views(gen)
    assert list(views)[:3] == ["average", "layer 0 (mean over heads)", "layer 0, head 0"] and len(views) == 1 + 2 * 5
    np.testing.assert_allclose(attention_weights(gen, views["layer 1 (mean over heads)"]), layers[1].mean(axis=0))
    np.testing.assert_array_equal(attention_weights(gen, views["layer 1, head 3"]), layers[1, 3])
    np.testing.assert_allclose(attention_weights(gen, views["average"]).sum(axis=1), 1.0)
    assert attention_heatmap(gen, (1, 3)).layout.title.text == "attention, layer 1, head 3"


def test_signed_scores_get_a_diverging_scale_centred_on_zero():
    fig = token_heatmap(np.array([[-2.0, 1.0]]), ["a"], ["b", "c"], title="t", signed=True)
    assert fig.data[0].zmid == 0 and fig.data[0].zmin == -2 and fig.data[0].zmax == 2


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="do not match"):
        token_heatmap(np.zeros((2, 2)), ["a"], ["b", "c"], title="t")


def test_every_row_is_a_line_tall_and_long_labels_are_cut_but_hover_whole():
    sentence = "0: The European Union agreed on Tuesday to extend economic sanctions against Russia"
    fig = token_heatmap(np.zeros((3, 40)), ["a", "b", "c"], [sentence] * 40, title="t")
    rows_px = (fig.layout.height - fig.layout.margin.t - fig.layout.margin.b) / 40
    assert rows_px >= 18                                             # a line of 12 px text
    assert all(len(label) <= 36 and label.endswith("…") for label in fig.layout.yaxis.ticktext)
    assert fig.data[0].customdata[5][0][3] == sentence
    assert [label.endswith("<br> ") for label in fig.layout.xaxis.ticktext] == [True, False, True]   # staggered


def test_spread_bands_are_drawn_as_bands_not_as_points():
    from attnviz.plots import deletion_figure, stability_figure

    deletion = deletion_figure({"occlusion": np.zeros(3), "random": np.ones(3)}, (0.1, 0.5), spread=np.full(3, 0.2))
    stability = stability_figure(["a", "b"], {"LIME": (np.zeros(2), np.ones(2))}, focus_label="#0 a")
    for band in [t for t in deletion.data + stability.data if t.fill == "toself"]:
        assert band.mode == "lines" and band.line.width == 0


def test_many_columns_label_every_kth_with_at_least_four_characters():
    fig = token_heatmap(np.zeros((80, 3)), ["sanctions"] * 80, ["a", "b", "c"], title="encoder")
    assert list(fig.layout.xaxis.tickvals) == list(range(0, 80, 4))
    assert all(len(label.replace("<br> ", "")) >= 4 for label in fig.layout.xaxis.ticktext)
    assert len(fig.data[0].customdata[0]) == 80                          # every column keeps its hover
