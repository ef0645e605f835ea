"""The source as highlighted text (attnviz.highlight): one escaped unit per source unit with its raw value,
coloured by its scaled score, written as text (no space before punctuation, word pieces joined)."""
import re

import numpy as np
import pytest

from attnviz.highlight import HighlightBlock, highlighted_text_html

TOKENS = ["The", "minis", "##ter", "<script>alert(1)</script>", ",", "resigned", "."]


def block(shown, raw=None, signed=True) -> HighlightBlock:
    shown = np.asarray(shown, dtype=float)
    raw = shown * 3 if raw is None else np.asarray(raw)
    return HighlightBlock("Integrated Gradients", shown, raw, signed, "legend")


def units(html: str) -> list[tuple[int, float, str, str]]:
    """(position, value, background, text) of every unit."""
    return [(int(j), float(v), bg, text) for j, v, bg, text in re.findall(
        r'class="attnviz-unit" data-position="(\d+)" data-value="([^"]+)" title="[^"]*" '
        r'style="background:([^;]+);[^"]*">([^<]*)</span>', html)]


def test_one_unit_per_token_with_its_raw_value_and_colour():
    shown = [0.0, 1.0, -0.5, 0.25, 0.0, -1.0, 0.1]
    html = highlighted_text_html(TOKENS, [block(shown), block(np.abs(shown), signed=False)])
    signed, magnitudes = units(html.split('class="attnviz-block"')[1]), units(html.split('class="attnviz-block"')[2])
    assert [u[0] for u in signed] == list(range(len(TOKENS)))
    np.testing.assert_allclose([u[1] for u in signed], np.array(shown) * 3)
    assert signed[1][2] == "rgba(214,39,40,0.850)" and signed[5][2] == "rgba(31,119,180,0.850)"   # red up, blue down
    assert signed[2][2] == "rgba(31,119,180,0.425)" and signed[0][2].endswith(",0.000)")
    assert {u[2].split(",")[0] for u in magnitudes} == {"rgba(106"}                                # one hue
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_written_as_text_pieces_joined_and_no_space_before_punctuation():
    html = highlighted_text_html(TOKENS, [block([0.0] * len(TOKENS))])
    text = re.sub(r"<[^>]+>", "", html.split('class="attnviz-text"')[1].split(">", 1)[1])
    assert text == "The minister &lt;script&gt;alert(1)&lt;/script&gt;, resigned."


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="6 scores for 7 source units"):
        highlighted_text_html(TOKENS, [block([0.0] * 6)])
