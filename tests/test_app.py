"""The Streamlit page driven headlessly with the shipped model."""
import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from attnviz.errors import DocumentError
from attnviz.explanation import Explanation
from attnviz.models.base import DecodingSettings
from tests.conftest import intact

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = ("The European Union agreed on Tuesday to extend economic sanctions against Russia for another six months, "
        "diplomats said, citing the lack of progress in implementing the Minsk peace agreement for eastern Ukraine.")


def plotly_array(value) -> np.ndarray:
    """Figure JSON holds numpy arrays as {"dtype", "bdata", "shape"} (base64) or as plain lists."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return array.reshape([int(n) for n in str(value.get("shape", len(array))).split(",")])
    return np.asarray(value)


def summary_by_source(trace: dict, field: str = "z") -> np.ndarray:
    """A heatmap trace's colours (``z``) or hover values (``customdata``) as [T, S]: the page draws the source
    down the rows and the summary across the columns."""
    if field == "z":
        return plotly_array(trace["z"]).T
    return np.array([[cell[4] for cell in row] for row in trace["customdata"]], dtype=float).T


def _run(text: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_area(key="text").input(text)
    at.button[0].click()
    at.run()
    return at


def test_summarize_shows_summary_and_attention_heatmap():
    at = _run(TEXT)
    assert not at.exception
    assert not at.error
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    heatmap = figure["data"][0]
    z = summary_by_source(heatmap)
    rows, cols = z.shape
    assert cols == len(TEXT.replace(",", " ,").replace(".", " .").split())
    assert 4 <= rows <= 20
    assert figure["layout"]["yaxis"]["ticktext"] and len(figure["layout"]["yaxis"]["ticktext"]) == cols
    assert len(figure["layout"]["xaxis"]["ticktext"]) == rows                   # the summary across the top
    assert "← source #" in heatmap["hovertemplate"]
    raw = summary_by_source(heatmap, "customdata")
    assert np.all((raw.sum(axis=1) > 0) & (raw.sum(axis=1) < 1))     # hover: raw weights (the null slot has the rest)
    np.testing.assert_allclose(z, raw / raw.max(axis=1, keepdims=True), atol=1e-5)   # colours: row max-abs
    assert at.session_state["text"] == TEXT        # the text survives the rerun


def _explained(methods: list[str], text: str = TEXT, timeout: int = 120) -> AppTest:
    """The page after Summarize, then Explain with ``methods``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.sidebar.multiselect[0].set_value(methods)
    at.text_area(key="text").input(text)
    at.button[0].click()
    at.run()
    next(b for b in at.button if b.label.startswith("Explain with")).click()
    at.run()
    return at


@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_text_gives_a_message_not_a_traceback(text):
    at = _run(text)
    assert not at.exception
    assert "empty" in at.error[0].value


def test_html_in_the_text_is_escaped():
    at = _run("<img src=x onerror=alert(1)> <script>alert(2)</script> The minister resigned on Monday after the vote.")
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown) + " ".join(h.proto.body for h in at.get("html"))
    assert "<img" not in shown and "<script" not in shown
    assert "&lt;" in at.get("html")[-1].proto.body                     # the focus grid shows the tags as text


# ------------------------------------------------------------------ the whole flow

class _KeptMedia:
    """Download contents by file id. The page builds each file only when its button is clicked (a deferred
    download): keep the callables as the page registers them, and call one to 'click'."""

    files: dict[str, object] = {}


@pytest.fixture
def kept_media(monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager

    register = MediaFileManager.add_deferred

    def keeping(self, data_callable, *args, **kwargs):
        file_id = register(self, data_callable, *args, **kwargs)
        _KeptMedia.files[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", keeping)
    return _KeptMedia.files


def _download(at: AppTest, key: str, files: dict[str, object]) -> bytes:
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(key))
    data = files[button.proto.deferred_file_id]()
    return data.encode("utf-8") if isinstance(data, str) else data


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


CODE_NAMES = ("integrated_gradients", "kernel_shap", "input_x_gradient", "partition_shap")
TITLES = ("Integrated Gradients", "KernelSHAP")


def test_the_page_writes_method_names_as_people_do_and_the_exports_keep_the_code_names(kept_media):
    at = _explained(["integrated_gradients", "kernel_shap"], timeout=300)
    assert not at.exception and not at.error
    shown = " ".join([json.dumps(f["layout"]) + json.dumps([d.get("x") for d in f["data"]]) for f in _figures(at)]
                     + [t.label for t in at.tabs] + [h.proto.body for h in at.get("html")]
                     + [d.value.to_csv() for d in at.dataframe] + [m.value for m in at.sidebar.markdown]
                     + [b.label for b in at.get("download_button")])
    assert all(title in shown for title in TITLES)
    assert not [name for name in CODE_NAMES if name in shown]
    frame = pd.read_csv(io.BytesIO(_download(at, "download-csv", kept_media)), keep_default_na=False)
    assert set(frame.method) == {"attention", "integrated_gradients", "kernel_shap"}
    assert list(json.loads(_download(at, "download-json", kept_media))["methods"]) == [
        "attention", "integrated_gradients", "kernel_shap"]


def test_example_explain_focus_agreement_and_export(kept_media):
    import io

    from attnviz.agreement import agreement_rows, nanmean
    from attnviz.examples import load_examples
    from attnviz.explain import explain
    from attnviz.models.base import DecodingSettings
    from attnviz.models.pointer.scorer import PointerScorer
    from attnviz.models.pointer.summarizer import PointerSummarizer

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.sidebar.multiselect[0].set_value(["occlusion"])
    at.selectbox(key="example").select_index(1)
    at.run()
    example = load_examples()[1]
    assert at.session_state["text"] == example["text"]
    at.button[0].click()
    at.run()
    explain_button = next(b for b in at.button if b.label.startswith("Explain with 1 method"))
    explain_button.click()
    at.run()
    assert not at.exception and not at.error

    # the same numbers straight from the package
    summarizer = PointerSummarizer.from_checkpoint(None, device="auto")
    generation = summarizer.summarize(example["text"], DecodingSettings())
    results = explain(PointerScorer(summarizer.model, generation), ["attention", "occlusion"])
    t, s = generation.attention.shape
    window = at.slider(key="window")
    assert window.value == (0, 60)                                # long sources open on a window of rows
    window.set_value((0, s))
    at.run()

    figures = _figures(at)
    heatmaps = [f for f in figures if f["data"][0]["type"] == "heatmap"]
    matrix = heatmaps.pop()                                            # the agreement matrix comes last
    assert [f["layout"]["title"]["text"] for f in heatmaps] == ["attention", "occlusion"]
    assert plotly_array(matrix["data"][0]["z"]).shape == (2, 2)
    for figure in heatmaps:
        z = summary_by_source(figure["data"][0])
        assert z.shape == (t, s)
        assert figure["data"][0]["hovertemplate"] == heatmaps[0]["data"][0]["hovertemplate"]
    occlusion = heatmaps[1]["data"][0]
    assert occlusion["zmid"] == 0 and occlusion["colorscale"][0][1] != occlusion["colorscale"][-1][1]
    row_max = np.abs(results["occlusion"].scores).max(axis=1, keepdims=True)
    np.testing.assert_allclose(summary_by_source(occlusion) * row_max,
                               results["occlusion"].scores, atol=1e-4)        # row max-abs normalised by default

    at.button_group(key="focus").set_value(2)
    at.run()
    chips = at.get("html")[0].proto.body
    assert chips.count("2px solid") == 1 and chips.index("2px solid") > chips.index('title="#1 ')
    text = next(h.proto.body for h in at.get("html") if "attnviz-focus" in h.proto.body)
    blocks = text.split('class="attnviz-block"')[1:]                  # the source as text, once per method
    assert [re.search(r'attnviz-block-title[^>]*>([^<]+)', b).group(1) for b in blocks] == ["attention", "occlusion"]
    for block, name in zip(blocks, ("attention", "occlusion")):
        units = re.findall(r'class="attnviz-unit" data-position="(\d+)" data-value="([^"]+)"', block)
        assert [int(j) for j, _ in units] == list(range(s))             # every source token, in order
        np.testing.assert_allclose([float(v) for _, v in units], results[name].scores[2], rtol=1e-5, atol=1e-5)
    agreement = next(d.value for d in at.dataframe if "with attention, mean over the summary" in d.value.columns)
    assert agreement.method.tolist() == ["occlusion"]
    expected = agreement_rows(results["attention"].scores, results["occlusion"].scores)["spearman_rho"]
    np.testing.assert_allclose(agreement.iloc[0, 1], expected[2], atol=1e-6)
    np.testing.assert_allclose(agreement.iloc[0, 2], nanmean(expected), atol=1e-6)

    frame = pd.read_csv(io.BytesIO(_download(at, "download-csv", kept_media)), keep_default_na=False)
    assert len(frame) == 2 * t * s
    for name in ("attention", "occlusion"):
        rows = frame[frame.method == name].sort_values(["summary_index", "source_index"])
        np.testing.assert_allclose(rows.score.to_numpy().reshape(t, s), results[name].scores, atol=1e-5)
    document = json.loads(_download(at, "download-json", kept_media))
    assert list(document["methods"]) == ["attention", "occlusion"]
    assert document["settings"]["decoding"]["beam_size"] == 4 and "torch" in document["versions"]
    assert document["generation"]["summary_tokens"] == generation.summary_tokens
    assert b"<html>" in _download(at, "download-html-occlusion", kept_media)
    assert document["agreement"]["methods"] == ["attention", "occlusion"]

    next(b for b in at.button if b.label.startswith("Measure faithfulness")).click()
    at.run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "AOPC comprehensiveness" in d.value.columns)
    assert table.method.tolist() == ["attention", "occlusion", "random"]
    assert "±" in table.iloc[2, 1] and "±" not in table.iloc[1, 1]
    curves = [f for f in _figures(at) if f["layout"]["title"]["text"].startswith("Deletion curves")]
    assert len(curves) == 1 and curves[0]["data"][0]["x"][0] == 0
    at.radio(key="curve_scope").set_value(at.radio(key="curve_scope").options[1])
    at.run()
    curve = [f for f in _figures(at) if f["layout"]["title"]["text"].startswith("Deletion curves")][0]["data"][1]
    full = intact(PointerScorer(summarizer.model, generation))[2].item()
    np.testing.assert_allclose(plotly_array(curve["y"])[0], full, atol=1e-4)     # token #2 before any removal
    document = json.loads(_download(at, "download-json", kept_media))
    assert set(document["faithfulness"]["methods"]) == {"attention", "occlusion", "random"}


def test_settings_change_keeps_the_text_and_a_long_paste_is_cut():
    text = " ".join(["The committee met on Tuesday to discuss the annual budget of the city."] * 8000)   # ~100k chars
    at = _run(text)
    assert not at.exception and not at.error
    assert any("read only the first 400" in w.value for w in at.warning)
    at.sidebar.slider[1].set_value(8)                # maximum summary length
    at.run()
    assert at.session_state["text"] == text
    figure = _figures(at)[0]
    assert summary_by_source(figure["data"][0]).shape[0] <= 8
    assert any(s.label.startswith("Source tokens shown") for s in at.slider)   # a window of rows for long sources


def test_cuda_without_a_gpu_is_a_message(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)    # a CPU-only machine, on any machine
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.selectbox(key="device").set_value("cuda")
    at.text_area(key="text").input(TEXT)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "no GPU is available" in at.error[0].value
    assert at.session_state["text"] == TEXT


def test_multi_head_model_offers_a_per_head_view(tmp_path, monkeypatch):
    from attnviz.models import folders
    from attnviz.models.base import DecodingSettings
    from attnviz.models.pointer.checkpoint import save_checkpoint
    from attnviz.models.pointer.summarizer import PointerSummarizer
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS, make_model

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    model = make_model(vocab, seed=6, attention="multihead")
    save_checkpoint(tmp_path / "tiny-multihead", model, vocab)
    monkeypatch.setattr(folders, "PRETRAINED_DIR", tmp_path)
    text = "w1 w2 w3 the w4 w5 . w6 w7 a w8 w9 w10 w11"
    at = _run(text)
    assert not at.exception and not at.error
    heads = at.selectbox(key="head")
    assert heads.options == ["average", "head 0", "head 1", "head 2", "head 3"]
    heads.select("head 2")
    at.run()
    generation = PointerSummarizer(model, vocab).summarize(text, DecodingSettings())
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == "attention, head 2"
    raw = summary_by_source(figure["data"][0], "customdata")
    np.testing.assert_allclose(raw, generation.layer_attention[0, 2], atol=1e-5)


def test_adding_a_method_asks_again_only_for_the_new_work():
    at = _explained(["occlusion"])
    at.sidebar.multiselect[0].set_value(["occlusion", "lime"])
    at.run()
    assert not at.exception

    def titles():
        return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]

    assert "occlusion" in titles() and "LIME" not in titles()          # done work stays, new work waits
    ask = next(b for b in at.button if b.label.startswith("Explain with"))
    assert ask.label.startswith("Explain with 1 method (≈")
    ask.click()
    at.run()
    assert {"occlusion", "LIME"} <= set(titles())                      # the names people write
    assert not any(b.label.startswith("Explain with") for b in at.button)


# ------------------------------------------------------------------ one document: export, explain --json, open again

def _strip_timings(value):
    """The document without wall-clock seconds (the only figures two runs of the same request may differ in)."""
    if isinstance(value, dict):
        return {k: _strip_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_strip_timings(v) for v in value]
    return value


def _assert_same(a, b, where="document", tol=1e-6):
    """Equal structure and strings; numbers within ``tol``."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}", tol)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]", tol)
    elif isinstance(a, (int, float)) and not isinstance(a, bool) and a is not None:
        # both sides are rounded to 6 decimals: nearly equal values can land one last digit apart (1e-6 plus the
        # float error of the subtraction)
        assert isinstance(b, (int, float)) and abs(a - b) <= tol + 1e-9, f"{where}: {a} != {b}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_the_page_export_is_explain_json_and_opens_again(kept_media, capsys):
    from attnviz.cli import main

    at = _explained(["occlusion", "lime"], timeout=300)
    next(b for b in at.button if b.label.startswith("Measure faithfulness")).click()
    at.run()
    assert not at.exception and not at.error
    exported = _download(at, "download-json", kept_media)
    page_document = json.loads(exported)

    assert main(["explain", "--text", TEXT, "--methods", "occlusion,lime", "--json"]) == 0
    cli_document = json.loads(capsys.readouterr().out)
    _assert_same(_strip_timings(page_document), _strip_timings(cli_document))
    assert page_document["faithfulness"] is not None and page_document["settings"]["params"]["lime"]["seed"] == 0

    shown = {"figures": _figures(at), "tables": [d.value for d in at.dataframe],
             "chips": at.get("html")[0].proto.body}
    opened = AppTest.from_file(APP, default_timeout=300)
    opened.run()
    opened.file_uploader(key="open").set_value(("attnviz.json", exported, "application/json"))
    opened.run()
    opened.run()                                                        # the focus selector now exists, as it did
    assert not opened.exception and not opened.error
    assert any("as it was saved" in i.value for i in opened.info)
    assert not opened.warning                                           # same model and packages: no note
    assert opened.get("html")[0].proto.body == shown["chips"]
    again = _figures(opened)
    assert [f["layout"]["title"]["text"] for f in again] == [f["layout"]["title"]["text"] for f in shown["figures"]]
    for before, after in zip(shown["figures"], again):
        assert len(before["data"]) == len(after["data"])
        for trace_before, trace_after in zip(before["data"], after["data"]):
            for key in ("z", "y"):
                if key in trace_before:
                    old, new = plotly_array(trace_before[key]), plotly_array(trace_after[key])
                    if old.dtype.kind in "fiu":
                        np.testing.assert_allclose(new.astype(float), old.astype(float), atol=1e-6)
                    else:
                        assert new.tolist() == old.tolist()
    tables = [d.value for d in opened.dataframe]
    assert len(tables) == len(shown["tables"])
    for before, after in zip(shown["tables"], tables):
        pd.testing.assert_frame_equal(after, before, atol=1e-6)
    _assert_same(_strip_timings(json.loads(_download(opened, "download-json", kept_media))), _strip_timings(page_document),
                 tol=1e-5)                                             # means of rounded figures: last digit may move

    opened.file_uploader(key="open").set_value(("notes.json", b'{"hello": 1}', "application/json"))
    opened.run()
    assert not opened.exception
    assert "notes.json: this is not an attnviz explanation" in opened.error[0].value
    assert opened.get("html")[0].proto.body == shown["chips"]          # the open explanation stays


def test_an_explanation_from_another_model_says_so(kept_media):
    from attnviz.models.pointer.summarizer import PointerSummarizer
    from attnviz.pipeline import explain_text

    explanation = explain_text(PointerSummarizer.from_checkpoint(None, device="cpu"), TEXT, "occlusion",
                               decoding=DecodingSettings(), with_faithfulness=False)
    document = explanation.to_json()
    document["settings"]["model"] = "someone-elses-model"
    document["versions"]["torch"] = "0.0.1"
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.file_uploader(key="open").set_value(("other.json", json.dumps(document).encode(), "application/json"))
    at.run()
    assert not at.exception and not at.error
    note = at.warning[0].value
    assert "'someone-elses-model'" in note and "torch 0.0.1" in note
    assert not any(b.label.startswith("Measure faithfulness") for b in at.button)
    assert any("without faithfulness" in i.value for i in at.info)


# Markup a crafted document may hold: an HTML link and bold (plotly draws both), markdown bold and a link, LaTeX,
# Streamlit's colour and icon directives, a bare link, a www address and an e-mail address (autolinked by markdown).
MARKUP = ('<a href="https://evil.example">click</a> <b>bold</b> **strong** [link](https://evil.example) $x^2$ '
          ':red[red] :material/home: https://bare.example www.evil.example me@evil.example')
RAW_MARKUP = ("<a", "<b>", "**strong**", "[link](", "$x^2$", ":red[", ":material/", "https://", "www.evil",
              "me@evil")


def _hostile_document(with_features: bool) -> dict:
    """A complete document whose tokens, a method's name, feature labels, the model, the device and a check's
    text hold ``MARKUP``."""
    from tests.test_document_hostile import complete_explanation

    document = complete_explanation().to_json()
    method = "lime " + MARKUP[:150]
    for block in (document["methods"], document["faithfulness"]["methods"], document["stability"],
                  document["settings"]["params"], document["agreement"]["with_attention_per_token"]):
        block[method] = block.pop("lime")
    document["agreement"]["methods"] = [method if m == "lime" else m for m in document["agreement"]["methods"]]
    generation = document["generation"]
    generation["source_tokens"][1] = generation["summary_tokens"][0] = MARKUP
    generation["summary"] = MARKUP
    generation["settings"]["device"] = document["settings"]["device"] = MARKUP[:190]
    document["settings"]["model"] = MARKUP
    document["methods"]["integrated_gradients"]["checks"]["rule"] = MARKUP[:190]
    if with_features:
        document["features"] = {"kind": "sentences", "bounds": [[0, 2], [2, 5]], "labels": [MARKUP, "sat " + MARKUP],
                                "source_len": 5}
        for entry in document["methods"].values():
            entry["scores"] = [[0.5, 0.25]] * 3
            entry.pop("head_scores", None)
        document["stability"][method].update(mean=[[0.1, 0.2]] * 3, std=[[0.0, 0.1]] * 3)
        document["agreement"] = None
    return document


def _rendered_markdown(at: AppTest) -> list[str]:
    """Everything the page hands to Streamlit's markdown: texts, captions, notes, headings, widget labels,
    radio options, tab and button names (selectbox options are drawn as plain text)."""
    texts = [e.value for kind in (at.markdown, at.caption, at.info, at.warning, at.error, at.subheader) for e in kind]
    texts += [w.label for kind in (at.radio, at.selectbox, at.button, at.tabs, at.get("download_button")) for w in kind
              if hasattr(w, "label")]
    texts += [str(option) for radio in at.radio for option in radio.options]
    texts += [b.proto.label for b in at.get("download_button")]
    return texts


def _figure_strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _figure_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _figure_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("with_features", [False, True], ids=["tokens", "features"])
def test_markup_in_an_opened_document_is_shown_as_text_everywhere(with_features):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    raw = json.dumps(_hostile_document(with_features)).encode()
    at.file_uploader(key="open").set_value(("crafted.json", raw, "application/json"))
    at.run()
    at.run()
    assert not at.exception and not at.error
    shown = _rendered_markdown(at)
    assert any("evil" in text for text in shown)                       # the document's strings are there …
    for text in shown:                                                 # … as text: no markup, no live link
        unescaped = re.sub(r"\\.", "", text)                             # what markdown reads as markup
        assert not any(mark in unescaped for mark in RAW_MARKUP), text
    assert "<a" not in " ".join(h.proto.body for h in at.get("html"))
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    strings = [s for chart in charts for s in _figure_strings(chart["data"]) + _figure_strings(chart["layout"])]
    assert any("&lt;a href" in s for s in strings)                     # tokens and names drawn as entities
    assert not any("<a" in s or "<b>" in s for s in strings)
    templates = [trace.get("hovertemplate", "") for chart in charts for trace in chart["data"]]
    assert not any("evil" in t for t in templates)                     # names reach hovers as data, not as templates
    if with_features:
        assert any(s.startswith("1: sat &lt;a href") for s in strings)  # a feature's label as a column


def test_plain_text_leaves_nothing_for_markdown_to_link():
    """Streamlit's markdown (remark-gfm, bundled in its frontend) links bare addresses after reading escapes, with
    these patterns; shortcodes (:smile:, :material/…:) are read the same way: after ``plain`` none matches."""
    from webpage.widgets import plain

    autolinks = [re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE),
                 re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"), re.compile(r":[-+\w/]+:")]
    text = plain("see HTTPS://a.example/x, Www.b.example, me@c.example, :smile: :material/home: at 12:30")
    assert not any(pattern.search(text) for pattern in autolinks), text
    assert text.replace("\u200d", "") == "see HTTPS://a.example/x, Www.b.example, me@c.example, :smile: :material/home: at 12:30"


def test_a_damaged_document_is_one_line_on_the_page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    document = _hostile_document(False)
    del document["methods"]["attention"]
    document["methods"]["lime"] = {"forward_passes": 1}
    raw = json.dumps(document).replace('"forward_passes": 1', '"forward_passes": 1e+400').encode()
    at.file_uploader(key="open").set_value(("crafted.json", raw, "application/json"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert "crafted.json: methods must hold 'attention'" in at.error[0].value
    assert "Something went wrong" not in at.error[0].value


# ------------------------------------------------------------------ hostile input on the page: nothing typed is lost

@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", b"", "empty.txt is empty"),
    ("blank.txt", b"  \n\t ", "blank.txt is empty"),
    ("**bold** [link](http://x) $x^2$ <b>.txt", b"\x00binary", "looks binary"),
    ("latin.txt", "café".encode("latin-1"), "is not UTF-8 text"),
    ("joiners.txt", "\u2060 \U000e0041\ufe0f\u200d".encode(), "joiners.txt is empty of anything visible")])
def test_a_bad_upload_keeps_the_text_and_says_why_in_plain_text(name, content, message):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_area(key="text").input("my draft")
    at.run()
    at.file_uploader(key="upload").set_value((name, content, "text/plain"))
    at.run()
    assert not at.exception
    error = at.error[0].value
    assert message in error.replace("\\", "") and "The text box was left as it was" in error
    assert at.session_state["text"] == "my draft"
    for mark in ("**", "[", "$", "<"):                                    # markdown and HTML arrive escaped
        assert mark not in error.replace("\\" + mark[0], "")


def test_bidirectional_controls_are_shown_not_obeyed():
    at = _run("The minister \u202eresigned\u202c on Monday after the vote on the \u2066budget\u2069 failed.")
    assert not at.exception and not at.error
    html_shown = " ".join(h.proto.body for h in at.get("html"))
    assert "\u202e" not in html_shown and "\u2066" not in html_shown
    assert "⟨U+202E⟩" in html_shown
    ticks = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]["ticktext"]
    assert not any("\u202e" in t for t in ticks) and any("⟨U+202E⟩" in t for t in ticks)


def test_a_quote_in_the_text_is_a_quote_in_the_labels():
    at = _run('He said "no" to the budget on Monday, and the minister resigned after the vote.')
    assert not at.exception and not at.error
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    labels = figure["layout"]["yaxis"]["ticktext"]
    assert '"' in labels and not any("&quot;" in t for t in labels)


def test_a_failing_method_leaves_the_other_results():
    from attnviz.explain import MethodSpec, register, unregister

    def broken(scorer):
        raise RuntimeError("an internal bug")

    register(MethodSpec("broken_method", broken, cost=lambda s, t, p: (1, 0, "exact")))
    try:
        at = _explained(["occlusion", "broken_method"])
    finally:
        unregister("broken_method")
    assert not at.exception
    assert len(at.error) == 1 and "broken\\_method failed (RuntimeError)" in at.error[0].value
    assert "an internal bug" not in at.error[0].value                   # internals stay in the log
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "occlusion" in titles and "broken_method" not in titles
    assert any(d for d in at.dataframe if "with attention, mean over the summary" in d.value.columns)
    assert at.session_state["text"] == TEXT


def test_a_one_token_text_explains_with_every_method():
    at = _explained(["kernel_shap", "lime", "occlusion"], "Ministers", timeout=300)
    assert not at.exception and not at.error


def test_work_beyond_the_time_limit_is_refused_with_its_estimate(monkeypatch):
    import attnviz.explain.cost as cost

    monkeypatch.setattr(cost, "MAX_REQUEST_SECONDS", 0.001)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.multiselect[0].set_value(["occlusion"])
    at.text_area(key="text").input(TEXT)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "this would take about" in at.error[0].value and "the limit is 0.001 s" in at.error[0].value
    assert not any(b.label.startswith("Explain with") for b in at.button)
    assert at.get("plotly_chart") and at.session_state["text"] == TEXT    # attention and the text stay


def test_a_method_once_asked_for_survives_an_interrupted_run():
    """A run cut short before a method finished (here: it failed once, as if a display change had stopped the
    script) must not ask again: the next run computes what was asked for without another click."""
    import dataclasses

    from attnviz.explain import METHODS, MethodSpec, register, unregister

    calls = []

    def flaky(scorer):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("interrupted")
        return dataclasses.replace(METHODS["occlusion"].run(scorer), method="flaky_occlusion")

    register(MethodSpec("flaky_occlusion", flaky, cost=lambda s, t, p: (s + 1, 0, "exact")))
    try:
        at = _explained(["flaky_occlusion"])
        assert len(calls) == 1 and at.error                             # the first attempt was cut short
        next(r for r in at.sidebar.radio if r.label == "Normalisation").set_value("none")                           # a display-only change
        at.run()
    finally:
        unregister("flaky_occlusion")
    assert len(calls) == 2 and not at.error
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "flaky_occlusion" in titles and not any(b.label.startswith("Explain with") for b in at.button)


def test_a_hugging_face_folder_from_the_path_field_with_layer_and_head_views(tmp_path):
    from tests import hf_models

    folder = hf_models.save("bart", tmp_path / "tiny-bart")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.text_input(key="model_folder").input(str(folder))
    at.sidebar.multiselect[0].set_value(["occlusion"])
    at.text_area(key="text").input("the minister met the committee on monday after the budget vote failed")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    views = at.selectbox(key="head")
    assert views.options[:3] == ["average", "layer 0 (mean over heads)", "layer 0, head 0"]
    views.select("layer 1, head 3")
    at.run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == "attention, layer 1, head 3"
    next(b for b in at.button if b.label.startswith("Explain with")).click()
    at.run()
    assert not at.exception and not at.error
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "occlusion" in titles
    assert "Spearman ρ of each head's attention with occlusion" in titles                  # layers × heads
    at.selectbox(key="encoder_layer").select(1)
    at.selectbox(key="encoder_head").select(2)
    at.run()
    encoder = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                   if json.loads(c.proto.spec)["layout"]["title"]["text"] == "encoder layer 1, head 2")
    raw = summary_by_source(encoder["data"][0], "customdata")
    assert raw.shape == (12, 12) and np.all(raw.sum(axis=1) <= 1 + 1e-6) and np.all(raw.sum(axis=1) > 0.5)
    next(b for b in at.button if b.label.startswith("Measure faithfulness")).click()
    at.run()
    assert not at.exception and not at.error
    table = at.dataframe[-1].value
    assert set(table["method"]) == {"attention", "occlusion", "random"}
    next(b for b in at.button if b.label.startswith("Measure each head's faithfulness")).click()
    at.run()
    assert not at.exception and not at.error
    heads = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("AOPC comprehensiveness of each head"))
    assert np.array(heads["data"][0]["text"]).shape == (2, 4)
    assert any(c.value.startswith("Most comprehensive: layer") for c in at.caption)
    assert "Device in use" in " ".join(m.value for m in list(at.sidebar.markdown) + list(at.sidebar.caption))


def test_a_subword_model_is_read_by_words_or_by_pieces(tmp_path):
    from tests import hf_models

    folder = hf_models.save("bart", tmp_path / "tiny-bart-pieces", pieces=True)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.text_input(key="model_folder").input(str(folder))
    at.text_area(key="text").input("the minister met the committee")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]

    def columns() -> list[str]:
        figure = json.loads(at.get("plotly_chart")[0].proto.spec)
        return figure["layout"]["yaxis"]["ticktext"]
    assert at.radio(key="units").value == "words"
    assert columns() == ["the", "minister", "met", "the", "committee"]
    at.radio(key="units").set_value("pieces")
    at.run()
    assert columns() == ["the", "minis", "##ter", "met", "the", "commit", "##tee"]


def test_a_folder_that_is_not_a_model_is_one_line_and_keeps_the_text(tmp_path):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_area(key="text").input("my draft")
    at.sidebar.text_input(key="model_folder").input(str(tmp_path / "nothing-here"))
    at.run()
    assert not at.exception
    assert any("not found" in e.value for e in at.error)
    assert at.session_state["text"] == "my draft"


def test_a_budget_typed_out_of_range_says_so_and_the_last_good_value_is_used():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.multiselect[0].set_value(["lime"])
    at.run()
    samples = next(n for n in at.sidebar.text_input if n.label.startswith("LIME"))
    samples.set_value("400")
    at.run()
    samples = next(n for n in at.sidebar.text_input if n.label.startswith("LIME"))
    samples.set_value("99999")
    at.run()
    assert not at.exception
    assert [e.value for e in at.sidebar.error] == ["lime: n\\_samples must be at most 5000, not 99999; using 400 until "
                                                   "it is fixed."]
    assert next(n for n in at.sidebar.text_input if n.label.startswith("LIME")).value == "99999"   # kept as typed


@pytest.mark.parametrize("typed, message", [
    ("1" + "0" * 30, "has 31 digits"), ("9" * 400, "400 characters long"), ("\u0661\u0662", "digits 0-9"),
    ("1e20", "digits 0-9"), ("", "digits 0-9"), ("12.5", "digits 0-9")])
def test_a_number_box_keeps_what_was_typed_however_large(typed, message):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="seed").set_value(typed)
    at.run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1 and message in errors[0] and "using 0 until it is fixed" in errors[0], errors
    assert at.text_input(key="seed").value == typed                                              # kept as typed


def test_two_models_side_by_side_with_a_method_faithfulness_and_one_export(tmp_path, monkeypatch, kept_media):
    from attnviz.models.pointer.checkpoint import save_checkpoint
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS, make_model

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    save_checkpoint(tmp_path / "tiny-multihead", make_model(vocab, seed=6, attention="multihead"), vocab)
    monkeypatch.setenv("ATTNVIZ_MODELS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.selectbox(key="compare_model").select("tiny-multihead")
    at.sidebar.multiselect[0].set_value(["occlusion"])
    at.text_area(key="text").input("w1 w2 w3 the w4 w5 . w6 w7 a w8 w9 w10 w11")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [m.value for m in at.markdown if m.value.startswith("**")][:2] == ["**news-pointer-generator**",
                                                                             "**tiny-multihead**"]
    heads = at.selectbox(key="compare-1-head")
    assert heads.options == ["average", "head 0", "head 1", "head 2", "head 3"]
    heads.select("head 2")
    at.run()
    assert "attention, head 2" in [f["layout"]["title"]["text"] for f in _figures(at)]
    next(b for b in at.button if b.label.startswith("Run occlusion on both models")).click()
    at.run()
    assert not at.exception and not at.error
    assert [f["layout"]["title"]["text"] for f in _figures(at)].count("occlusion") == 3     # both columns + details
    for place in (0, 1):
        next(b for b in at.button if b.proto.id.endswith(f"compare-{place}-faithfulness-button")).click()
        at.run()
        assert not at.exception and not at.error
    tables = [d.value for d in at.dataframe if "AOPC comprehensiveness" in d.value.columns]
    assert len(tables) == 2 and all(set(t["method"]) == {"attention", "occlusion", "random"} for t in tables)
    document = json.loads(_download(at, "download-comparison", kept_media))
    assert document["format"] == "attnviz-comparison"
    models = [e["model"] for e in document["explanations"]]
    assert models == ["news-pointer-generator", "tiny-multihead"]
    for raw in document["explanations"]:
        explanation = Explanation.from_json(raw)
        assert list(explanation.attributions) == ["attention", "occlusion"] and explanation.faithfulness is not None
    with pytest.raises(DocumentError, match="two models side by side"):
        Explanation.loads(json.dumps(document))


def test_a_second_model_that_cannot_load_is_one_message_and_the_first_stays(tmp_path, monkeypatch):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("ATTNVIZ_MODELS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.selectbox(key="compare_model").select("broken")
    at.text_area(key="text").input(TEXT)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error if e.value.startswith("broken:")], [e.value for e in at.error]
    assert "attention" in [f["layout"]["title"]["text"] for f in _figures(at)]          # the first model's views


def test_sentences_as_features_then_one_sentence_looked_into():
    text = ("The European Union agreed on Tuesday to extend sanctions against Russia. Diplomats cited the lack of "
            "progress in eastern Ukraine. The measures will now run until the end of July.")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.multiselect[0].set_value(["occlusion", "kernel_shap"])
    at.sidebar.radio(key="granularity").set_value("sentences")
    at.text_area(key="text").input(text)
    at.button[0].click()
    at.run()
    explain = next(b for b in at.button if b.label.startswith("Explain with"))
    explain.click()
    at.run()
    assert not at.exception and not at.error
    charts = {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    occlusion = next(f for f in charts.values() if f["layout"]["title"]["text"].startswith("occlusion"))
    assert summary_by_source(occlusion["data"][0]).shape[1] == 3                          # three sentences
    assert occlusion["layout"]["yaxis"]["ticktext"][1].startswith("1: Diplomats cited")
    attention = json.loads(at.get("plotly_chart")[0].proto.spec)
    raw = summary_by_source(attention["data"][0], "customdata")
    assert raw.shape[1] == 3 and np.all(raw.sum(axis=1) <= 1 + 1e-6)                    # sums of token weights
    at.selectbox(key="inside").set_value(1)
    at.run()
    assert not at.exception
    assert any("tokens of sentence 1" in c.value for c in at.caption)
    next(b for b in at.button if b.label.startswith("Explain with")).click()
    at.run()
    occlusion = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                     if json.loads(c.proto.spec)["layout"]["title"]["text"].startswith("occlusion"))
    assert list(occlusion["layout"]["yaxis"]["ticktext"]) == ["Diplomats", "cited", "the", "lack", "of", "progress",
                                                              "in", "eastern", "Ukraine", "."]


def test_attention_split_into_copying_and_generating():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.checkbox(key="pointer_split").check()
    at.text_area(key="text").input(TEXT)
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error
    charts = {json.loads(c.proto.spec)["layout"]["title"]["text"].split(" ·")[0]: json.loads(c.proto.spec)
              for c in at.get("plotly_chart")}
    copy, generate = (plotly_array(charts[f"attention ({k})"]["data"][0]["customdata"])[..., 4].astype(float)
                      for k in ("copy", "generate"))
    attention = plotly_array(json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["customdata"])[..., 4]
    np.testing.assert_allclose(copy + generate, attention.astype(float), atol=1e-5)


def test_seeds_show_stability_and_counterfactual_attention_on_request():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.multiselect[0].set_value(["occlusion", "lime"])
    at.run()
    at.text_input(key="seeds").set_value("3")
    at.text_input(key="param-lime-n_samples").set_value("100")
    at.text_area(key="text").input(TEXT)
    at.button[0].click()
    at.run()
    next(b for b in at.button if b.label.startswith("Explain with")).click()
    at.run()
    assert not at.exception and not at.error
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any(t.startswith("Spread over seeds") for t in titles)
    table = next(d.value for d in at.dataframe if "rank τ between seeds" in d.value.columns)
    lime = table[table["method"] == "LIME"].iloc[0]                      # the name people write
    assert lime["seeds"] == 3 and float(lime["rank τ between seeds"]) < 1
    assert table[table["method"] == "occlusion"].iloc[0]["rank τ between seeds"] == "1 (deterministic)"
    at.button(key="counterfactual-button").click()
    at.run()
    assert not at.exception and not at.error
    effects = next(d.value for d in at.dataframe if "mean Δ log-prob" in d.value.columns)
    assert list(effects["attention"]) == ["uniform", "permuted", "top k removed"]
    assert (effects["mean Δ log-prob"] < 0).all()        # the shipped model needs its attention



def _hostile_folder(tmp_path, which: str) -> str:
    """A model folder box's hostile values: a pipe, a device, a checkpoint with a JSON literal for a size."""
    import os
    import shutil

    from attnviz.models.folders import PRETRAINED_DIR

    if which == "a pipe":
        os.mkfifo(tmp_path / "fifo")
        return str(tmp_path / "fifo")
    if which == "a device":
        return "/dev/zero"
    folder = tmp_path / "ckpt"
    shutil.copytree(PRETRAINED_DIR / "news-pointer-generator", folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["model"]["hidden_dim"] = True
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return str(folder)


@pytest.mark.parametrize("which, message", [("a pipe", "not found"), ("a device", "not found"),
                                            ("a size written as true", "hidden_dim must be an integer, not true")])
def test_a_hostile_model_folder_is_one_line_and_keeps_the_text(tmp_path, which, message):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_area(key="text").input("my draft")
    at.sidebar.text_input(key="model_folder").input(_hostile_folder(tmp_path, which))
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "\n" not in errors[0] and message in errors[0].replace("\\", ""), errors
    assert "Something went wrong" not in errors[0]
    assert at.session_state["text"] == "my draft"


def test_pasted_text_with_nothing_visible_is_one_line():
    at = _run("\u2060\u2060 \U000e0041\U000e0042 \ufe0f")
    assert not at.exception
    assert len(at.error) == 1 and "the text is empty" in at.error[0].value
