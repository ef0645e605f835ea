"""The page in a real browser: paste, summarize, hover, focus, download, and no script injection.

Every action that asks the server for a run waits, inside ``page.runs.run()``, until that run has finished and
is drawn (``benchmarks.app_server.RunWatch``); no action is retried, so a click the page loses fails a test."""
from __future__ import annotations

import csv
import os
import re
import shutil

import pytest

from tests.e2e.conftest import ARTIFACTS, ROOT, open_page

TEXT = ("The European Union agreed on Tuesday to extend economic sanctions against Russia for another six months, "
        "diplomats said, citing the lack of progress in implementing the Minsk peace agreement for eastern Ukraine. "
        "The measures, which target the energy, banking and defence sectors, were first imposed in 2014.")
HOVER = re.compile(r'^summary #\d+ ".+" ← source #\d+ ".+": -?\d+\.\d{3}$')
TIMEOUT = 120_000  # ms: the first summary also loads the model
TIMEOUT_S = TIMEOUT / 1000


def summarize(page, text: str) -> None:
    box = page.get_by_label("Text to summarize")
    box.fill(text)
    with page.runs.run(TIMEOUT_S):
        box.press("Control+Enter")                   # commit the text area's value
    with page.runs.run(TIMEOUT_S):
        page.get_by_role("button", name="Summarize").click()
    assert page.locator(".attnviz-summary").count() >= 1
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)   # plotly.js draws after the run, in the browser


def choose(page, label: str, option: re.Pattern) -> None:
    """Pick an option of a Streamlit selectbox (a react-aria combobox: focus, open with ArrowDown, click); the
    first of several with that label."""
    box = page.get_by_role("combobox", name=label).first
    box.click()
    box.press("ArrowDown")
    page.get_by_role("option", name=option).first.click()


def hover_label(page, x_frac: float = 0.3, y_frac: float = 0.2) -> str:
    """The hover label of one heatmap cell of the settled page. Playwright's hover waits until the plot's drag
    layer is visible and has kept its box for two animation frames (plotly may still be laying out its margins)."""
    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    drag = plot.locator(".nsewdrag").first
    box = drag.bounding_box()
    drag.hover(position={"x": 1, "y": 1})                              # leave the cell, then enter it
    drag.hover(position={"x": box["width"] * x_frac, "y": box["height"] * y_frac})
    label = plot.locator(".hoverlayer .hovertext").first
    label.wait_for(timeout=10_000)
    return " ".join(label.text_content(timeout=5_000).split())


def test_paste_summarize_and_hover_a_heatmap_cell(page):
    summarize(page, TEXT)
    chips = page.locator(".attnviz-summary .attnviz-chip")
    assert chips.count() >= 4
    label = hover_label(page)
    assert HOVER.match(label), label
    assert page.dialogs == []


def test_focus_a_summary_token_changes_the_highlighting(page):
    summarize(page, TEXT)
    grid = page.locator(".attnviz-focus")
    before = grid.inner_html()
    with page.runs.run(TIMEOUT_S):
        page.get_by_role("radio", name=re.compile(r"^#2 ")).click()                 # a summary chip
    after = grid.inner_html()
    assert after != before
    shades = re.findall(r"rgba\(\d+, ?\d+, ?\d+, ?([\d.]+)\)", after)
    assert shades and max(map(float, shades)) > 0.5               # the top source token is clearly shaded
    focused = page.locator(".attnviz-chip").nth(2).get_attribute("style")
    assert "2px solid" in focused


def test_download_the_csv(page, tmp_path):
    summarize(page, TEXT)
    path = tmp_path / "scores.csv"
    with page.expect_download(timeout=40_000) as download:
        page.get_by_role("button", name="CSV (long format)").click()
    download.value.save_as(path)
    assert page.runs.settled()                                         # a download does not run the page again
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["method", "summary_index", "summary_token", "source_index", "source_token", "score"]
    t = page.locator(".attnviz-summary .attnviz-chip").count()
    s = len({r["source_index"] for r in rows})
    assert len(rows) == t * s and {r["method"] for r in rows} == {"attention"}
    per_token = {}
    for r in rows:
        per_token[r["summary_index"]] = per_token.get(r["summary_index"], 0.0) + float(r["score"])
    assert all(0 < v < 1 for v in per_token.values())  # attention rows: 1 − the null slot's weight


RECORD_TOPS = """() => {
    window.attnvizTops = [];
    const csv = () => [...document.querySelectorAll('button')].find(b => b.innerText.startsWith('CSV'));
    setInterval(() => {
        const button = csv();
        const top = button ? Math.round(button.getBoundingClientRect().top) : null;
        if (top !== null && window.attnvizTops.at(-1) !== top) window.attnvizTops.push(top);
    }, 5);
}"""


def test_nothing_moves_below_a_button_priced_at_the_end_of_the_run(page):
    """The buttons priced once the page is drawn (Explain, Measure faithfulness) hold their place from the
    start of the run: the CSV button below them, drawn seconds earlier, never moves, so a click on it while
    the page settles lands where the user aimed."""
    page.evaluate(RECORD_TOPS)                                       # its top, every 5 ms while on the page
    summarize(page, TEXT + " This sentence makes the text new to the server's caches.")
    tops = page.evaluate("() => window.attnvizTops")
    assert len(tops) == 1, f"the CSV button moved while the page was drawn: tops {tops} px"


def test_script_in_the_text_does_not_run(page):
    payload = "<img src=x onerror=alert(1)> <script>alert(2)</script> The minister resigned on Monday after the vote."
    summarize(page, payload)
    assert page.dialogs == []
    assert page.locator(".attnviz-summary img, .attnviz-focus img, .attnviz-focus script").count() == 0
    assert "onerror" in page.locator(".attnviz-focus").inner_text()   # shown as text
    hover_label(page, 0.05, 0.1)                                       # the first source tokens hold the tags
    assert page.locator(".hoverlayer img, .hoverlayer script").count() == 0
    assert page.dialogs == []


def test_example_with_attributions_screenshot(page):
    """A real example from the test split with the default attribution methods; the README's screenshot."""
    with page.runs.run(TIMEOUT_S):
        choose(page, "Example from the held-out news test split", re.compile(".+"))
    assert len(page.get_by_label("Text to summarize").input_value()) > 100      # the example fills the text box
    with page.runs.run(TIMEOUT_S):
        page.get_by_role("button", name="Summarize").click()
    with page.runs.run(TIMEOUT_S):
        page.get_by_role("button", name=re.compile(r"^Explain with .*≈")).click()
    page.get_by_role("tab", name="occlusion").wait_for(timeout=TIMEOUT)
    assert page.locator(".attnviz-focus .attnviz-block").count() == 3        # attention + 2 methods
    page.locator(".js-plotly-plot").nth(2).wait_for(state="attached", timeout=TIMEOUT)   # plotly draws, tabs hide
    ARTIFACTS.mkdir(exist_ok=True)
    shot, text = ARTIFACTS / "screenshot.png", ARTIFACTS / "highlighted-text.png"
    page.set_viewport_size({"width": 1440, "height": 2000})           # Streamlit scrolls inside the page
    page.wait_for_timeout(1500)                                        # plotly redraws at the new width
    page.get_by_role("heading", name="Summary").scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    page.get_by_role("heading", name="Token focus").scroll_into_view_if_needed()
    page.locator(".attnviz-focus").screenshot(path=str(text))         # the README's second picture
    if os.environ.get("ATTNVIZ_UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, ROOT / "docs" / "screenshot.png")
        shutil.copy(text, ROOT / "docs" / "highlighted-text.png")
    assert page.dialogs == []


def test_upload_a_binary_file_then_a_text_file(page, tmp_path):
    box = page.get_by_label("Text to summarize")
    box.fill("my draft")
    with page.runs.run(TIMEOUT_S):
        box.press("Control+Enter")
    blob = tmp_path / "photo.txt"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with page.runs.run(TIMEOUT_S):
        page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(blob))
    assert page.get_by_text("photo.txt looks binary").count() == 1
    assert box.input_value() == "my draft"                           # the text is never lost
    good = tmp_path / "article.txt"
    good.write_text(TEXT, encoding="utf-8")
    with page.runs.run(TIMEOUT_S):
        page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(good))
    assert box.input_value() == TEXT


def test_export_the_json_and_open_it_in_a_new_session(page, tmp_path):
    summarize(page, TEXT)
    tokens = page.locator(".attnviz-summary .attnviz-chip").all_inner_texts()
    label = hover_label(page)
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="JSON (everything)").click()
    path = tmp_path / "attnviz.json"
    download.value.save_as(path)

    fresh = open_page(page.context, page.url, page.dialogs)            # a new session: nothing cached in it
    fresh.get_by_text("Open an exported explanation").click()
    with fresh.runs.run(TIMEOUT_S):
        fresh.locator('[data-testid="stFileUploader"] input[type=file]').nth(1).set_input_files(str(path))
    assert fresh.get_by_text("as it was saved").count() == 1
    fresh.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT)
    assert fresh.locator(".attnviz-summary .attnviz-chip").all_inner_texts() == tokens
    assert hover_label(fresh) == label                                 # the same cell, the same raw weight
    assert fresh.get_by_role("textbox", name="Text to summarize").input_value() == ""
    fresh.close()
    assert page.dialogs == []


def test_an_empty_upload_keeps_the_text(page, tmp_path):
    box = page.get_by_label("Text to summarize")
    box.fill("my draft, typed by hand")
    with page.runs.run(TIMEOUT_S):
        box.press("Control+Enter")
    empty = tmp_path / "empty draft.txt"
    empty.write_bytes(b"")
    with page.runs.run(TIMEOUT_S):
        page.locator('[data-testid="stFileUploader"] input[type=file]').first.set_input_files(str(empty))
    assert page.get_by_text("empty draft.txt is empty. The text box was left as it was.").count() == 1
    assert box.input_value() == "my draft, typed by hand"
    assert page.dialogs == []


def test_cancel_a_long_explanation(page):
    """A run with a large budget is cancelled from the page within seconds; the text, the summary and the
    Explain button stay, and the method can be asked for again."""
    summarize(page, " ".join([TEXT] * 6))
    page.get_by_text("Budgets and seed").click()
    steps = page.get_by_label("IG steps (1–256)")
    steps.fill("256")
    with page.runs.run(TIMEOUT_S):
        steps.press("Enter")
    page.get_by_role("button", name=re.compile(r"^Explain with .*≈")).click()
    page.wait_for_function("() => / of [\\d,]+ model passes · \\d+ s spent · (about \\d+ s left|estimating)/.test("
                           "document.querySelector('[data-testid=\"stProgress\"]')?.innerText || '')", timeout=TIMEOUT)
    visible_stale = "() => [...document.querySelectorAll('[data-stale=\"true\"]')].filter(e => e.offsetParent).length"
    assert page.evaluate(visible_stale) == 0                           # the last run's heatmaps are hidden, not grey
    with page.runs.run(20):
        page.get_by_role("button", name="Cancel").click(timeout=TIMEOUT)
    assert page.get_by_text("Cancelled. The results that had finished are kept").count() == 1
    assert page.get_by_role("button", name=re.compile(r"^Explain with .*≈")).is_enabled()
    assert page.get_by_label("Text to summarize").input_value() == " ".join([TEXT] * 6)
    assert page.locator(".attnviz-summary .attnviz-chip").count() >= 4
    assert page.dialogs == []


def test_a_hugging_face_folder_per_head_heatmap_with_hover(page, tmp_path):
    """A tiny BART saved with save_pretrained, loaded through the sidebar's folder field: one head's heatmap,
    hovered."""
    from tests import hf_models

    folder = hf_models.save("bart", tmp_path / "tiny-bart")
    field = page.get_by_label("…or a model folder on the server", exact=True)
    field.fill(str(folder))
    with page.runs.run(TIMEOUT_S):
        field.press("Enter")
    summarize(page, "the minister met the committee on monday after the budget vote failed")
    with page.runs.run(TIMEOUT_S):
        choose(page, "Attention layer and head", re.compile(r"^layer 1, head 3$"))
    page.locator(".js-plotly-plot .gtitle", has_text="attention, layer 1, head 3").wait_for(timeout=TIMEOUT)
    label = hover_label(page)
    assert HOVER.match(label), label
    assert page.dialogs == []


def test_two_models_side_by_side_hover_a_head(page, tmp_path):
    """A multi-head checkpoint from the folder field beside the shipped model: both columns show a summary,
    and one head's heatmap in the first column answers a hover."""
    from attnviz.models.pointer.checkpoint import save_checkpoint
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS, make_model

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    save_checkpoint(tmp_path / "tiny-multihead", make_model(vocab, seed=6, attention="multihead"), vocab)
    field = page.get_by_label("…or a model folder on the server", exact=True)
    field.fill(str(tmp_path / "tiny-multihead"))
    with page.runs.run(TIMEOUT_S):
        field.press("Enter")
    with page.runs.run(TIMEOUT_S):
        choose(page, "Side by side with", re.compile(r"^news-pointer-generator$"))
    summarize(page, "w1 w2 w3 the w4 w5 . w6 w7 a w8 w9 w10 w11")
    assert page.get_by_text("Side by side", exact=True).count() == 1
    assert page.locator(".attnviz-summary").count() >= 3                              # 2 columns, details
    assert page.locator(".attnviz-focus").count() == 3                 # the text highlighted in each column, details
    assert page.evaluate(SCROLLERS) == []
    with page.runs.run(TIMEOUT_S):
        choose(page, "Attention layer and head", re.compile(r"^head 2$"))            # the first column's
    page.locator(".js-plotly-plot .gtitle", has_text="attention, head 2").wait_for(timeout=TIMEOUT)
    label = hover_label(page)
    assert HOVER.match(label), label
    assert page.dialogs == []


def test_sentences_as_features_with_the_copy_split_and_a_sentence_looked_into(page):
    """The sidebar's sentence granularity and copy split: sentence columns answer a hover, the copy share has
    its tab, and looking into one sentence brings its tokens back as columns."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    for label, role in (("sentences", "radio"), ("Split attention into copying and generating", "checkbox")):
        with page.runs.run(TIMEOUT_S):
            sidebar.get_by_text(label, exact=True).click()              # the visible label: the input is hidden
        assert page.get_by_role(role, name=label).is_checked()
    summarize(page, TEXT)
    assert page.get_by_role("tab", name="attention (copy)").count() == 1
    label = hover_label(page)
    assert re.match(r'^summary #\d+ ".+" ← source #[01] "[01]: .+": \d\.\d{3}$', label), label
    check_labels_readable(page)                                        # sentence labels apart, rows a line tall
    with page.runs.run(TIMEOUT_S):
        choose(page, "Look into a sentence", re.compile(r"^sentence 1 "))
    assert page.get_by_text(re.compile(r"The methods explain the \d+ tokens of sentence 1")).count() == 1
    plot = page.locator(".js-plotly-plot").first                      # plotly redraws after the run, in the browser:
    plot.locator(".yaxislayer-above g.ytick text", has_text="measures").wait_for(timeout=TIMEOUT)   # the new rows
    label = hover_label(page)
    assert HOVER.match(label) and "←" in label and '"1: ' not in label, label
    assert page.dialogs == []


TICKS = """(plot) => ['x', 'y'].map(a => [...plot.querySelectorAll(`.${a}axislayer-above g.${a}tick text`)]
    .flatMap(t => t.querySelector('tspan') ? [...t.querySelectorAll('tspan')] : [t])    // a label's lines
    .filter(t => t.textContent.trim())
    .map(t => { const b = t.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }))"""


def check_labels_readable(page) -> None:
    """In the first heatmap, no two tick labels of an axis overlap and every source row is at least 12 px tall."""
    for axis in page.locator(".js-plotly-plot").first.evaluate(TICKS):
        assert axis
        for i, a in enumerate(axis):
            for b in axis[i + 1:]:
                overlap = min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5
                assert not overlap, (a, b)
    rows = page.locator(".js-plotly-plot").first.evaluate(
        "(plot) => [...plot.querySelectorAll('.yaxislayer-above g.ytick text')]"
        ".map(t => t.getBoundingClientRect().top)")
    assert len(rows) > 1 and min(b - a for a, b in zip(rows, rows[1:])) >= 12


SCROLLERS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && !e.closest('.js-plotly-plot')
                 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
    .map(e => (e.className || e.tagName).toString().slice(0, 60) + ' ' + e.scrollWidth + '>' + e.clientWidth)"""


@pytest.mark.parametrize("words", [300, 1000])
def test_a_long_article_reads_as_highlighted_text_without_sideways_scrolling(page, words):
    """The focused token's explanation is the source itself, wrapped: one highlighted unit per source token with
    its value, and nothing on the page scrolls sideways (the heatmaps' own plots aside)."""
    limit = page.get_by_role("textbox", name="Read at most this many source tokens (20–2,000)")
    limit.fill("2000")
    with page.runs.run(TIMEOUT_S):
        limit.press("Enter")
    text = " ".join((TEXT + " ") for _ in range(words // len(TEXT.split()) + 1)).split()[:words]
    summarize(page, " ".join(text))
    caption = page.get_by_text(re.compile(r"^\d+ source tokens → \d+ summary tokens")).inner_text()
    source = int(caption.split()[0])
    assert source >= words
    units = page.locator(".attnviz-focus .attnviz-block").first.locator(".attnviz-unit")
    assert units.count() == source
    positions = units.evaluate_all("(us) => us.map(u => [+u.dataset.position, +u.dataset.value])")
    assert [p for p, _ in positions] == list(range(source)) and all(v == v for _, v in positions)
    assert page.evaluate(SCROLLERS) == []
    assert page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth") <= 1440
    check_labels_readable(page)
