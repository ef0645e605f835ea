"""Hostile input, tried as a user would: every case ends in exit status 2 and one line that says what is
wrong (``attnviz: error: ...``), never a traceback, and runs no longer than a small model needs."""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from attnviz.cli import main
from attnviz.models.pointer.checkpoint import CONFIG, VOCAB, WEIGHTS, save_checkpoint
from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
from tests.conftest import WORDS, make_model

TEXT = "w1 w2 zorblax w3 the w4 . w5 w6 w7 , w8 w9 a w10"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "tiny"
    vocab = Vocabulary(list(SPECIALS) + WORDS)
    save_checkpoint(folder, make_model(vocab, seed=4), vocab)
    return folder


def run(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and standard error of the CLI; a traceback would propagate and fail the test."""
    try:
        code = main(argv)
    except SystemExit as exc:                     # argparse's own refusals
        code = exc.code
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, message: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attnviz: error:"), err
    assert "Traceback" not in err and message in lines[0], lines[0]


# ------------------------------------------------------------------ options and method parameters

PARAMS = [
    ("lime.n_samples=nan", "lime: n_samples must be an integer"),
    ("lime.n_samples=NaN", "lime: n_samples must be an integer"),
    ("lime.n_samples=inf", "lime: n_samples must be an integer"),
    ("lime.n_samples=Infinity", "lime: n_samples must be an integer"),
    ("lime.n_samples=1e12", "lime: n_samples must be an integer"),
    ("lime.n_samples=1000000000000", "lime: n_samples must be at most 20000"),
    ("lime.n_samples=2.5", "lime: n_samples must be an integer"),
    ("lime.n_samples=abc", "lime: n_samples must be an integer, not 'abc'"),
    ("lime.n_samples=-5", "lime: n_samples must be at least 2"),
    ("lime.n_samples=1", "lime: n_samples must be at least 2"),
    ("lime.n_samples=true", "lime: n_samples must be an integer"),
    ("lime.n_samples=null", "lime: n_samples must be an integer"),
    ("lime.n_samples=[300]", "lime: n_samples must be an integer"),
    ('lime.n_samples={"a": 1}', "lime: n_samples must be an integer"),
    ("lime.seed=-1", "lime: seed must be at least 0"),
    ("lime.seed=99999999999", "lime: seed must be at most"),
    ("lime.seed=0.5", "lime: seed must be an integer"),
    ("kernel_shap.n_samples=0", "kernel_shap: n_samples must be at least 2"),
    ("partition_shap.max_evals=1", "partition_shap: max_evals must be at least 2"),
    ("partition_shap.max_evals=1e9", "partition_shap: max_evals must be an integer"),
    ("partition_shap.max_evals=999999999", "partition_shap: max_evals must be at most 50000"),
    ("integrated_gradients.n_steps=NaN", "integrated_gradients: n_steps must be an integer"),
    ("integrated_gradients.n_steps=0", "integrated_gradients: n_steps must be at least 1"),
    ("integrated_gradients.n_steps=100000", "integrated_gradients: n_steps must be at most 1024"),
    ("integrated_gradients.max_steps=-1", "integrated_gradients: max_steps must be at least 1"),
    ("integrated_gradients.tolerance=nan", "integrated_gradients: tolerance must be a number, not 'nan'"),
    ("integrated_gradients.tolerance=NaN", "integrated_gradients: tolerance must be a finite number"),
    ("integrated_gradients.tolerance=-0.1", "integrated_gradients: tolerance must be at least 0"),
    ("integrated_gradients.abs_tolerance=1e300", "integrated_gradients: abs_tolerance must be at most 10"),
    ("integrated_gradients.method=simpson", "integrated_gradients: method must be one of"),
    ("integrated_gradients.path_power=0", "integrated_gradients: path_power must be at least 1"),
    ("integrated_gradients.path_power=2.0", "integrated_gradients: path_power must be an integer"),
    ("lime.samples=5", "lime has no parameter 'samples'"),
    ("occlusion.width=3", "occlusion has no parameter 'width'; it takes: none"),
    ("nope.n_samples=5", "unknown attribution method 'nope'"),
    ("lime.n_samples", "--param takes METHOD.NAME=VALUE"),
    ("=5", "--param takes METHOD.NAME=VALUE"),
    ("lime.=5", "--param takes METHOD.NAME=VALUE"),
]


@pytest.mark.parametrize("param, message", PARAMS)
def test_a_bad_method_parameter_is_one_line(tiny, capsys, param, message):
    code, err = run(["explain", "--text", TEXT, "--model", str(tiny), "--methods", "all", "--param", param], capsys)
    assert_one_line(code, err, message)


OPTIONS = [
    (["explain", "--random-orders", "0"], "random_orders must be an integer from 1 to 1,000"),
    (["explain", "--random-orders", "-1"], "random_orders must be an integer from 1"),
    (["explain", "--random-orders", "100000"], "random_orders must be an integer from 1 to 1,000"),
    (["explain", "--seed", "-1"], "seed must be at least 0"),
    (["explain", "--methods", ""], "no method chosen"),
    (["explain", "--methods", "lime,,nope"], "unknown attribution method 'nope'"),
    (["summarize", "--beam", "0"], "beam size must be between 1 and 32"),
    (["summarize", "--beam", "1000"], "beam size must be between 1 and 32"),
    (["summarize", "--max-len", "0"], "maximum length must be between 1 and 200"),
    (["summarize", "--max-len", "100000"], "maximum length must be between 1 and 200"),
    (["summarize", "--min-len", "-1"], "minimum length must be between 0"),
    (["summarize", "--length-penalty", "nan"], "argument --length-penalty: the value must be a number written"),
    (["summarize", "--length-penalty", "-1"], "length penalty must be between 0 and 5"),
    (["summarize", "--no-repeat-ngram", "1"], "no_repeat_ngram must be 0 (off) or at least 2"),
    (["summarize", "--max-source-tokens", "0"], "the source limit must be from 1 to 5,000 tokens"),
    (["summarize", "--max-source-tokens", "-5"], "the source limit must be from 1 to 5,000 tokens"),
    (["summarize", "--max-source-tokens", "1000000000"], "the source limit must be from 1 to 5,000 tokens"),
    (["summarize", "--beam", "abc"], "argument --beam: the value must be a whole number"),
    (["summarize", "--device", "tpu"], "argument --device: invalid choice"),
    (["check", "--rows", "0"], "--rows must be at least 1"),
    (["check", "--rows", "-1"], "--rows must be at least 1"),
]


@pytest.mark.parametrize("argv, message", OPTIONS)
def test_a_bad_option_is_one_line(tiny, capsys, argv, message):
    code, err = run([*argv, "--text", TEXT, "--model", str(tiny)], capsys)
    assert_one_line(code, err, message)


TEXTS = [("", "the text is empty"), ("   \n\t ", "the text is empty"), ("\u200b\u200b", "the text is empty"),
         ("\x00\x01\x02", "the text is empty"), ("x" * 1_000_001, "the limit is 1,000,000")]


@pytest.mark.parametrize("text, message", TEXTS)
def test_a_text_with_nothing_to_summarize_is_one_line(tiny, capsys, text, message):
    code, err = run(["summarize", "--text", text, "--model", str(tiny)], capsys)
    assert_one_line(code, err, message)


FILES = [("missing.txt", None, "cannot read"), ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00", "looks binary"),
         ("latin1.txt", "café au lait".encode("latin-1"), "is not UTF-8 text"), ("folder", "dir", "is a folder; give the path of a text file")]


@pytest.mark.parametrize("name, content, message", FILES)
def test_a_bad_text_file_is_one_line(tiny, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    code, err = run(["summarize", "--file", str(path), "--model", str(tiny)], capsys)
    assert_one_line(code, err, message)


# ------------------------------------------------------------------ checkpoints a user made

def _config_with(tiny: Path, tmp_path: Path, **model) -> Path:
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny, folder)
    data = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    data["model"].update(model)
    text = json.dumps(data).replace('"__LONG__"', "9" * 5000)       # a number Python's int() refuses to read
    (folder / CONFIG).write_text(text, encoding="utf-8")
    return folder


CONFIGS = [
    ({"hidden_dim": 256.0}, "hidden_dim must be an integer, not 256.0"),
    ({"hidden_dim": True}, "hidden_dim must be an integer, not true"),
    ({"hidden_dim": "16"}, "hidden_dim must be an integer"),
    ({"hidden_dim": 20000}, "hidden_dim must be from 1 to 8,192"),
    ({"hidden_dim": -3}, "hidden_dim must be from 1"),
    ({"dropout": 2.0}, "dropout must be in [0, 1)"),
    ({"dropout": "x"}, "dropout must be a float"),
    ({"dropout": None}, "dropout must be a float"),
    ({"vocab_size": 10**9}, "vocab_size must be from 5 to 2,000,000"),
    ({"emb_dim": 4096, "hidden_dim": 8192}, "attnviz loads at most 250,000,000"),
    ({"pointer": "no"}, "pointer must be a bool"),
    ({"coverage": 1}, "coverage must be a bool"),
    ({"attention": "bahdanau"}, "attention must be one of"),
    ({"max_source_tokens": 10**7}, "max_source_tokens must be from 1 to 5,000"),
    ({"flux_capacitor": 1}, "unknown config keys"),
    ({"hidden_dim": "__LONG__"}, "holds a number too long to be a size or a setting"),
]


@pytest.mark.parametrize("fields, message", CONFIGS)
def test_a_bad_config_is_refused_before_any_weight_is_made(tiny, tmp_path, capsys, fields, message):
    code, err = run(["summarize", "--text", TEXT, "--model", str(_config_with(tiny, tmp_path, **fields))], capsys)
    assert_one_line(code, err, message)
    assert "config.json" in err


def _replace(tiny: Path, tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny, folder)
    (folder / name).write_bytes(content)
    return folder


def _weights(tiny: Path, change) -> bytes:
    from safetensors.torch import load_file

    tensors = load_file(str(tiny / WEIGHTS))
    change(tensors)
    path = tiny.parent / "changed.safetensors"
    save_file(tensors, str(path))
    return path.read_bytes()


FILES_OF_A_CHECKPOINT = [
    (CONFIG, b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    (CONFIG, b"not json", "is not valid JSON"),
    (CONFIG, b"[]", "is not an attnviz checkpoint config"),
    (CONFIG, b'{"format": "attnviz-checkpoint", "format_version": 1}', "format-1 checkpoint"),
    (CONFIG, b'{"format": "attnviz-checkpoint", "format_version": 7}', "format version 7"),
    (CONFIG, b" " * (2 * 2**20), "at most 1,048,576 are read"),
    (VOCAB, json.dumps(list(range(48))).encode(), "a JSON list of non-empty strings"),
    (VOCAB, json.dumps([["a"]] * 48).encode(), "a JSON list of non-empty strings"),
    (VOCAB, json.dumps(list(SPECIALS) + [None] * 44).encode(), "a JSON list of non-empty strings"),
    (VOCAB, json.dumps(list(SPECIALS) + [""] + WORDS[:-1]).encode(), "a JSON list of non-empty strings"),
    (VOCAB, json.dumps({"w": 1}).encode(), "a JSON list of non-empty strings"),
    (VOCAB, json.dumps(list(SPECIALS) + ["w1"] * 44).encode(), "must not repeat words"),
    (VOCAB, json.dumps(list(SPECIALS) + WORDS[:10]).encode(), "words but"),
    (WEIGHTS, b"", "damaged or not a safetensors file"),
    (WEIGHTS, b"\x80\x04\x95pickled", "damaged or not a safetensors file"),
    (WEIGHTS, struct.pack("<Q", 2**40) + b"{}", "damaged or not a safetensors file"),
]


@pytest.mark.parametrize("name, content, message", FILES_OF_A_CHECKPOINT)
def test_a_damaged_checkpoint_file_is_one_line(tiny, tmp_path, capsys, name, content, message):
    code, err = run(["summarize", "--text", TEXT, "--model", str(_replace(tiny, tmp_path, name, content))], capsys)
    assert_one_line(code, err, message)


WEIGHT_CHANGES = [
    ("NaN weights", lambda t: t["encoder.weight_ih_l0"].fill_(float("nan")), "holds NaN or infinite values"),
    ("integer weights", lambda t: t.update({"encoder.weight_ih_l0": t["encoder.weight_ih_l0"].to(torch.int32)}),
     "holds I32, not floating-point numbers"),
    ("a wrong shape", lambda t: t.update({"encoder.weight_ih_l0": torch.zeros(3, 3)}), "has shape [3, 3], the config needs"),
    ("an extra tensor", lambda t: t.update({"backdoor": torch.zeros(2)}), "backdoor is not a weight of it"),
]


@pytest.mark.parametrize("what, change, message", WEIGHT_CHANGES, ids=[c[0] for c in WEIGHT_CHANGES])
def test_weights_that_do_not_fit_the_config_are_one_line(tiny, tmp_path, capsys, what, change, message):
    folder = _replace(tiny, tmp_path, WEIGHTS, _weights(tiny, change))
    code, err = run(["summarize", "--text", TEXT, "--model", str(folder)], capsys)
    assert_one_line(code, err, message)


# ------------------------------------------------------------------ pairs files and output folders

PAIRS = [
    (None, "cannot read"), (b"", "holds no pairs"), (b"not json\n", "not valid JSON"),
    ("{\"text\": \"caf\u00e9\"}\n".encode("latin-1"), "not UTF-8 text"), (b'{"summary": "x"}\n', "missing key(s) text"),
    (b'{"text": 5}\n', "must be strings"), (b"[1, 2]\n", "expected a JSON object"),
]


@pytest.mark.parametrize("content, message", PAIRS)
def test_a_bad_pairs_file_is_one_line_before_any_work(tiny, tmp_path, capsys, content, message):
    pairs = tmp_path / "pairs.jsonl"
    if content is not None:
        pairs.write_bytes(content)
    code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny),
                     "--serial"], capsys)
    assert_one_line(code, err, message)


def _outputs(tmp_path: Path) -> list[tuple[str, str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    return [(str(blocker), "cannot write the report"), (str(blocker / "below"), "cannot write the report"),
            ("/proc/attnviz-report", "cannot write the report"), ("/dev/null/report", "cannot write the report")]


@pytest.mark.parametrize("which", range(4))
def test_an_unwritable_report_folder_is_refused_before_any_work(tiny, tmp_path, capsys, which, monkeypatch):
    import attnviz.report as report

    monkeypatch.setattr(report, "run_report", lambda *a, **k: pytest.fail("the corpus ran before the check"))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    out, message = _outputs(tmp_path)[which]
    code, err = run(["report", "--pairs", str(pairs), "--out", out, "--model", str(tiny), "--serial"], capsys)
    assert_one_line(code, err, message)


@pytest.mark.parametrize("argv, message", [(["--workers", "0"], "--workers must be from 1 to 64"),
                                           (["--limit", "-1"], "--limit must be 0 (all) or more")])
def test_bad_report_options_are_one_line(tiny, tmp_path, capsys, argv, message):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny), *argv],
                    capsys)
    assert_one_line(code, err, message)


def test_a_report_where_no_document_could_be_summarized_fails(tiny, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": "   "}) + "\n", encoding="utf-8")
    code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny), "--serial",
                     "--methods", "attention", "--random-orders", "1"], capsys)
    progress, error = err.strip().splitlines()                          # the progress bar, then the message
    assert progress.endswith("1/1 documents")
    assert_one_line(code, error, "none of the 1 documents could be summarized")


def test_the_table_has_at_least_80_cases():
    cases = (len(PARAMS) + len(OPTIONS) + len(TEXTS) + len(FILES) + len(CONFIGS) + len(FILES_OF_A_CHECKPOINT)
             + len(WEIGHT_CHANGES) + len(PAIRS) + 4 + 2 + 1 + 1 + 2)
    assert cases >= 80, cases


def test_an_unreachable_scheduler_is_one_line_within_seconds(tiny, tmp_path, capsys):
    import time

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    start = time.perf_counter()
    code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny),
                     "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert_one_line(code, err, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 15


def test_a_request_longer_than_the_limit_is_refused_with_its_estimate(tiny, capsys, monkeypatch):
    from dataclasses import replace

    from attnviz.explain import METHODS

    def must_not_run(scorer, **params):
        raise AssertionError("lime ran although the request was refused")

    monkeypatch.setitem(METHODS, "lime", replace(METHODS["lime"], run=must_not_run))
    code, err = run(["explain", "--text", TEXT, "--model", str(tiny), "--methods", "lime", "--param",
                     "lime.n_samples=20000", "--max-seconds", "0.001"], capsys)
    assert_one_line(code, err, "this would take about")
    assert "lime alone ≈" in err and "the limit is 0.001 s" in err
    code, err = run(["explain", "--text", TEXT, "--model", str(tiny), "--max-seconds", "-1"], capsys)
    assert_one_line(code, err, "--max-seconds must be 0 (no limit) or a positive number")


# ------------------------------------------------------------------ the second round, by class (issue 23)

def _fifo(tmp_path: Path) -> str:
    import os

    path = tmp_path / "fifo"
    os.mkfifo(path)                                 # no writer: reading it would wait forever
    return str(path)


SPECIAL_FILES = [
    (lambda p: _fifo(p), "is a pipe (FIFO); give the path of a text file"),
    (lambda p: "/dev/zero", "is a character device"),                   # endless: never read whole
    (lambda p: "/dev/urandom", "is a character device"),
    (lambda p: str(p), "is a folder"),
    (lambda p: "a" * 5000, "file name too long"),
    (lambda p: str(p / "two\nlines.txt"), "two⟨U+000A⟩lines.txt"),       # the message stays one line
]


@pytest.mark.parametrize("where", ["--file", "--pairs", "--compare-predictions"])
@pytest.mark.parametrize("case", range(len(SPECIAL_FILES)))
def test_special_files_are_refused_at_once(tiny, tmp_path, capsys, where, case):
    import time

    path, message = SPECIAL_FILES[case]
    path = path(tmp_path)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT, "summary": "w1 w2"}) + "\n", encoding="utf-8")
    argv = {"--file": ["summarize", "--file", path],
            "--pairs": ["evaluate", "--pairs", path],
            "--compare-predictions": ["evaluate", "--pairs", str(pairs), "--compare-predictions", path]}[where]
    start = time.perf_counter()
    code, err = run([*argv, "--model", str(tiny)], capsys)
    assert_one_line(code, err, message)
    assert time.perf_counter() - start < 60                                 # a guard against waiting, not a speed target


def test_a_file_over_the_cap_is_not_read_whole(tiny, tmp_path, capsys):
    from attnviz.textfile import MAX_TEXT_BYTES

    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_TEXT_BYTES + 10)                                     # sparse: no disk, no memory
    code, err = run(["summarize", "--file", str(big), "--model", str(tiny)], capsys)
    assert_one_line(code, err, f"has more than {MAX_TEXT_BYTES:,} bytes")


INVISIBLE_TEXTS = ["\u2060\u2060\u2060", "\U000E0041\U000E0042\U000E007F", "\ufe0f\ufe0e\U000E0100",
                   " \u2060 \ufe0f \u200d ", "\u202e\u202d", "\u0301\u0300"]


@pytest.mark.parametrize("text", INVISIBLE_TEXTS)
def test_text_with_nothing_visible_is_refused(tiny, capsys, text):
    code, err = run(["summarize", "--text", text, "--model", str(tiny)], capsys)
    assert_one_line(code, err, "the text is empty")


def test_a_visible_character_among_invisible_ones_is_summarized(tiny, capsys):
    code, err = run(["summarize", "--text", "\u2060w1\u2060 w2", "--model", str(tiny)], capsys)
    assert code == 0, err


TYPED_VALUES = [
    (["summarize", "--beam", "\u0664"], "argument --beam: the value must be a whole number written with the digits 0-9"),
    (["summarize", "--max-len", "1" * 5000], "argument --max-len: the value is 5,000 characters long"),
    (["summarize", "--max-len", "9" * 40], "argument --max-len: the value has 40 digits"),
    (["explain", "--seed", "1" + "0" * 25], "seed must be at most"),
    (["summarize", "--length-penalty", "1e999"], "argument --length-penalty: the value must be a finite number"),
    (["explain", "--random-orders", "\uff13"], "argument --random-orders: the value must be a whole number"),
    (["explain", "--param", "lime.n_samples=\u0661\u0662"], "lime: n_samples must be an integer, not '\u0661\u0662'"),
    (["explain", "--param", "lime.n_samples=" + "9" * 5000], "is 5,000 characters long"),
    (["explain", "--param", "lime.n_samples=" + "9" * 40], "has 40 digits"),
    (["explain", "--param", "lime.n_samples=" + "[" * 150 + "]" * 50], "lime: n_samples must be an integer, not '[[["),
    (["explain", "--param", "lime.n_samples=true"], "lime: n_samples must be an integer, not true"),
    (["explain", "--param", "lime.n_samples=null"], "lime: n_samples must be an integer, not null"),
    (["explain", "--param", "integrated_gradients.method=false"], "must be one of gausslegendre"),
    (["explain", "--param", "integrated_gradients.method=riemann_trapezoid", "--param",
      "integrated_gradients.n_steps=1"], "a Riemann rule (riemann_trapezoid) needs n_steps of at least 2, not 1"),
    (["explain", "--param", "lime.n\nsamples=5"], "lime has no parameter 'n⟨U+000A⟩samples'"),
    (["explain", "--methods", "li\nme,occlusion"], "unknown attribution method 'li\\nme'"),
]


@pytest.mark.parametrize("argv, message", TYPED_VALUES)
def test_typed_values_python_would_choke_on_are_one_line_in_our_words(tiny, capsys, argv, message):
    code, err = run([*argv, "--text", TEXT, "--model", str(tiny)], capsys)
    assert_one_line(code, err, message)
    for python_words in ("Error:", "True", "None", "JSONDecodeError", "Traceback"):
        assert python_words not in err, err


def _fake_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "news").mkdir(parents=True)
    for split in ("train", "valid", "test"):
        (data / "news" / f"{split}.jsonl").write_text("", encoding="utf-8")
    return data


TRAIN_SETTINGS = [
    (["--batch-size", "0"], "train: batch_size must be at least 1, not 0"),
    (["--batch-size", "-3"], "train: batch_size must be at least 1"),
    (["--lr", "nan"], "argument --lr: the value must be a number"),
    (["--lr", "-0.1"], "train: lr must be at least 1e-09"),
    (["--lr", "1e999"], "argument --lr: the value must be a finite number"),
    (["--lr", "0"], "train: lr must be at least 1e-09"),
    (["--dropout", "1.5"], "train: dropout must be at most 0.95"),
    (["--hidden-dim", "0"], "train: hidden_dim must be at least 1"),
    (["--hidden-dim", "1000000"], "train: hidden_dim must be at most 8192"),
    (["--num-heads", "0"], "train: num_heads must be at least 1"),
    (["--attention", "multihead", "--num-heads", "3", "--hidden-dim", "256"], "num_heads"),
    (["--attention", "bahdanau"], "train: attention must be one of additive, dot, general, multihead"),
    (["--encoder", "gru"], "train: encoder must be one of bilstm, minilm"),
    (["--max-source-tokens", "0"], "train: max_source_tokens must be at least 1"),
    (["--seed", str(2**70)], "train: seed must be at most"),
    (["--removal-share", "2"], "train: removal_share must be at most 1"),
    (["--removal-share", "nan"], "argument --removal-share: the value must be a number"),
    (["--vocab-size", "0"], "train: vocab_size must be at least 5"),
    (["--emb-dim", "4096", "--hidden-dim", "8192"], "attnviz loads at most 250,000,000"),
]


@pytest.mark.parametrize("argv, message", TRAIN_SETTINGS)
def test_nonsense_training_settings_are_refused_before_any_data_is_read(tmp_path, capsys, argv, message, monkeypatch):
    import attnviz.models.pointer.train as training

    monkeypatch.setattr(training, "read_pairs", lambda *a, **k: pytest.fail("data was read before the check"))
    code, err = run(["train", "--data-dir", str(_fake_data(tmp_path)), "--out", str(tmp_path / "out"), *argv], capsys)
    assert_one_line(code, err, message)


@pytest.mark.parametrize("which", ["missing data", "a file as --out", "--out under a file", "--out in /proc"])
def test_training_folders_are_checked_first(tmp_path, capsys, which, monkeypatch):
    import attnviz.models.pointer.train as training

    monkeypatch.setattr(training, "read_pairs", lambda *a, **k: pytest.fail("data was read before the check"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    data, out = str(_fake_data(tmp_path)), str(tmp_path / "out")
    data, out, message = {"missing data": (str(tmp_path / "nowhere"), out, "run python -m attnviz data first"),
                          "a file as --out": (data, str(blocker), "cannot write the checkpoint to"),
                          "--out under a file": (data, str(blocker / "x"), "cannot write the checkpoint to"),
                          "--out in /proc": (data, "/proc/attnviz-train", "cannot write the checkpoint to")}[which]
    code, err = run(["train", "--data-dir", data, "--out", out], capsys)
    assert_one_line(code, err, message)


@pytest.mark.parametrize("which", ["a folder", "a missing folder", "a read-only place", "a pipe"])
def test_an_unwritable_predictions_file_is_refused_before_any_work(tiny, tmp_path, capsys, which, monkeypatch):
    import attnviz.evaluate as evaluate

    monkeypatch.setattr(evaluate, "evaluate_pairs", lambda *a, **k: pytest.fail("the pairs ran before the check"))
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT, "summary": "w1 w2"}) + "\n", encoding="utf-8")
    out = {"a folder": str(tmp_path), "a missing folder": str(tmp_path / "no" / "p.jsonl"),
           "a read-only place": "/proc/attnviz-predictions.jsonl",
           "a pipe": _fifo(tmp_path) if which == "a pipe" else ""}[which]
    code, err = run(["evaluate", "--pairs", str(pairs), "--save-predictions", out, "--model", str(tiny)], capsys)
    assert_one_line(code, err, "cannot write to")


def test_an_empty_report_folder_is_not_the_current_one(tiny, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    code, err = run(["report", "--pairs", str(pairs), "--out", "", "--model", str(tiny), "--serial"], capsys)
    assert_one_line(code, err, "the folder's name is empty")


@pytest.mark.parametrize("address, message", [
    ("tls://127.0.0.1:8786", "over tcp:// only"), ("inproc://x", "over tcp:// only"),
    ("not an address", "is not an address"), ("127.0.0.1:99999", "is not an address"),
    ("127.0.0.1", "is not an address"), ("tcp://[::zz]:1", "is not an address")])
def test_scheduler_addresses_that_are_not_addresses_are_one_line(tiny, tmp_path, capsys, address, message):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny),
                     "--scheduler", address], capsys)
    assert_one_line(code, err, message)


def test_a_server_answering_junk_is_not_a_scheduler(tiny, tmp_path, capsys):
    """A server that answers with junk bytes (a length header of exabytes) is one line within seconds, and
    nothing huge is allocated."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def answer_junk() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"\xff" * 64)
                time.sleep(0.5)

    thread = threading.Thread(target=answer_junk, daemon=True)
    thread.start()
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": TEXT}) + "\n", encoding="utf-8")
    start = time.perf_counter()
    try:
        code, err = run(["report", "--pairs", str(pairs), "--out", str(tmp_path / "out"), "--model", str(tiny),
                         "--scheduler", f"tcp://127.0.0.1:{server.getsockname()[1]}"], capsys)
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("attnviz: error:"), err
    assert time.perf_counter() - start < 60                                 # a guard against waiting, not a speed target


@pytest.mark.parametrize("which", ["missing", "damaged"])
def test_examples_without_usable_data_are_one_line(tmp_path, capsys, which, monkeypatch):
    import attnviz.examples as examples

    monkeypatch.setattr(examples, "EXAMPLES_PATH", tmp_path / "examples.json")
    data = tmp_path / "data"
    if which == "damaged":
        (data / "news").mkdir(parents=True)
        (data / "news" / "test.jsonl").write_text("not json\n", encoding="utf-8")
    code, err = run(["examples", "--data-dir", str(data)], capsys)
    assert_one_line(code, err, "run python -m attnviz data first" if which == "missing" else "cannot pick examples")


def test_check_rows_beyond_the_summary_are_capped(tiny, capsys):
    """--rows 10^20 compares every summary token once ("T of T rows"), never more rows than the summary has."""
    import re

    try:
        code = main(["check", "--text", TEXT, "--model", str(tiny), "--rows", "1" + "0" * 20, "--json"])
    except SystemExit as exc:                                            # a check that fails on the tiny model
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1) and "Traceback" not in err, err
    rows = [(int(a), int(b)) for a, b in re.findall(r"(\d+) of (\d+) rows", out)]
    assert rows and all(a == b for a, b in rows), rows


def test_text_with_nothing_visible_is_refused_by_a_hugging_face_model_too(tmp_path, capsys):
    from tests import hf_models

    folder = hf_models.save("bart", tmp_path / "tiny-bart")
    capsys.readouterr()                                                  # the save's progress bar
    code, err = run(["summarize", "--text", "\u2060\U000e0041\ufe0f", "--model", str(folder), "--device", "cpu"], capsys)
    assert_one_line(code, err, "the text is empty")
