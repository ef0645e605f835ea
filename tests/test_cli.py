import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from attnviz.cli import main
from attnviz.models.pointer.checkpoint import save_checkpoint
from tests.conftest import make_model

ROOT = Path(__file__).resolve().parent.parent
TEXT = "w1 w2 zorblax w3 the w4 . w5 w6 w7 , w8 w9 a w10"


@pytest.fixture
def model_dir(tmp_path: Path, vocab) -> str:
    folder = tmp_path / "tiny"
    save_checkpoint(folder, make_model(vocab, seed=2), vocab)
    return str(folder)


def test_summarize_json_schema(model_dir: str, capsys):
    assert main(["summarize", "--text", TEXT, "--model", model_dir, "--beam", "3", "--max-len", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"summary", "summary_tokens", "source_tokens", "attention", "token_logprobs", "p_gen"} <= set(out)
    t, s = len(out["summary_tokens"]), len(out["source_tokens"])
    assert out["source_tokens"] == TEXT.split()
    assert 1 <= t <= 8 and isinstance(out["summary"], str) and out["summary"]
    assert len(out["attention"]) == t and all(len(row) == s for row in out["attention"])
    assert np.all(np.sum(out["attention"], axis=1) < 1)                  # the null slot has the rest
    assert len(out["token_logprobs"]) == t and all(lp <= 0 for lp in out["token_logprobs"])
    assert len(out["p_gen"]) == t and all(0 <= p <= 1 for p in out["p_gen"])


def test_summarize_reads_a_file_and_prints_plain_text(model_dir: str, tmp_path: Path, capsys):
    path = tmp_path / "in.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert main(["summarize", "--file", str(path), "--model", model_dir]) == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("argv,message", [
    (["summarize", "--text", "   "], "the text is empty"),
    (["summarize", "--file", "/nonexistent/file.txt"], "cannot read /nonexistent/file.txt"),
    (["summarize", "--text", "w1 w2", "--beam", "0"], "beam size must be between 1 and 32"),
    (["summarize", "--text", "w1 w2", "--max-len", "-3"], "maximum length"),
    (["summarize", "--text", "w1 w2", "--model", "/nonexistent/model"], "checkpoint folder not found"),
])
def test_bad_input_exits_2_with_one_line(argv, message, model_dir, capsys):
    if "--model" not in argv:
        argv = argv + ["--model", model_dir]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_binary_file_is_refused(model_dir: str, tmp_path: Path, capsys):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)))
    assert main(["summarize", "--file", str(path), "--model", model_dir]) == 2
    assert "blob.bin looks binary" in capsys.readouterr().err
    path.write_bytes("café".encode("latin-1"))
    assert main(["summarize", "--file", str(path), "--model", model_dir]) == 2
    assert "blob.bin is not UTF-8 text" in capsys.readouterr().err


def test_process_exit_code_and_no_traceback(model_dir: str):
    run = subprocess.run([sys.executable, "-m", "attnviz", "summarize", "--text", "", "--model", model_dir],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == "attnviz: error: the text is empty: paste or type some words to summarize"
    usage = subprocess.run([sys.executable, "-m", "attnviz", "summarize", "--beam", "x"],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1


def test_evaluate_reports_model_and_lead(model_dir: str, tmp_path: Path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps({"text": TEXT, "summary": "w1 w2 zorblax"}) for _ in range(3)))
    assert main(["evaluate", "--pairs", str(pairs), "--model", model_dir, "--beam", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pairs"] == 3
    # LEAD-10 starts with the 3 reference words; ROUGE drops the ".", so 9 words: recall 1, precision 1/3.
    assert out["lead10_rouge"]["rouge1"] == pytest.approx(100 * 2 * (1 / 3) / (1 + 1 / 3), abs=0.01)
    assert set(out["model_rouge"]) == {"rouge1", "rouge2", "rougeL"} and "by_source" not in out


def test_evaluate_splits_the_figures_by_source(model_dir: str, tmp_path: Path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"text": TEXT, "summary": "w1 w2 zorblax", "origin": "bbc:tech/001"},
            {"text": TEXT, "summary": "w1 w2 zorblax", "origin": "bbc:tech/002"},
            {"text": TEXT, "summary": "nothing alike", "origin": "newsarticles:7"}]
    pairs.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["evaluate", "--pairs", str(pairs), "--model", model_dir, "--beam", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {s: v["pairs"] for s, v in out["by_source"].items()} == {"bbc": 2, "newsarticles": 1}
    assert out["by_source"]["bbc"]["lead10_rouge"]["rouge1"] == pytest.approx(out["lead10_rouge"]["rouge1"] * 1.5, abs=0.01)
    assert out["by_source"]["newsarticles"]["lead10_rouge"]["rouge1"] == 0


def test_evaluate_compares_with_another_models_predictions(model_dir: str, tmp_path: Path, capsys):
    pairs, saved, other = tmp_path / "pairs.jsonl", tmp_path / "saved.jsonl", tmp_path / "other.jsonl"
    pairs.write_text("\n".join(json.dumps({"text": TEXT, "summary": "w1 w2 zorblax"}) for _ in range(3)))
    base = ["evaluate", "--pairs", str(pairs), "--model", model_dir, "--beam", "1", "--json"]
    assert main(base + ["--save-predictions", str(saved)]) == 0
    model_rl = json.loads(capsys.readouterr().out)["model_rouge"]["rougeL"]
    assert main(base + ["--compare-predictions", str(saved)]) == 0             # against itself: no gain
    assert json.loads(capsys.readouterr().out)["rougeL_gain_over_compared"] == {"file": str(saved), "mean": 0.0,
                                                                               "ci95": [0.0, 0.0]}
    other.write_text("".join(json.dumps({"prediction": "w1 w2 zorblax"}) + "\n" for _ in range(3)))
    assert main(base + ["--compare-predictions", str(other)]) == 0             # the reference itself: RL 100
    gain = json.loads(capsys.readouterr().out)["rougeL_gain_over_compared"]
    assert gain["mean"] == pytest.approx(model_rl - 100, abs=0.01)
    other.write_text(json.dumps({"prediction": "x"}) + "\n")
    assert main(base + ["--compare-predictions", str(other)]) == 2
    assert "1 predictions for 3 pairs" in capsys.readouterr().err


def test_evaluate_bad_pairs_file(model_dir: str, tmp_path: Path, capsys):
    pairs = tmp_path / "bad.jsonl"
    pairs.write_text('{"text": "a"}\n')
    assert main(["evaluate", "--pairs", str(pairs), "--model", model_dir]) == 2
    assert "bad.jsonl" in capsys.readouterr().err


def test_explain_json_schema(model_dir: str, capsys):
    argv = ["explain", "--text", TEXT, "--model", model_dir, "--methods", "attention,occlusion,lime",
            "--param", "lime.n_samples=20", "--seed", "4", "--beam", "1", "--max-len", "5", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    t, s = len(out["generation"]["summary_tokens"]), len(out["generation"]["source_tokens"])
    assert set(out["methods"]) == {"attention", "occlusion", "lime"}
    for result in out["methods"].values():
        assert {"scores", "seconds", "forward_passes", "backward_passes", "params", "checks"} <= set(result)
        assert np.asarray(result["scores"]).shape == (t, s)
    assert out["methods"]["lime"]["params"] == {"n_samples": 20, "seed": 4}
    assert out["methods"]["occlusion"]["forward_passes"] == s + 1


@pytest.mark.parametrize("argv,message", [
    (["--methods", "nope"], "unknown attribution method 'nope'; valid choices: attention,"),
    (["--param", "lime=3"], "--param takes METHOD.NAME=VALUE"),
    (["--methods", "lime", "--param", "lime.samples=3"], "lime has no parameter 'samples'"),
])
def test_explain_bad_options(model_dir: str, capsys, argv, message):
    assert main(["explain", "--text", TEXT, "--model", model_dir, *argv]) == 2
    assert message in capsys.readouterr().err


def test_explain_an_empty_summary_is_a_message(model_dir: str, capsys, monkeypatch):
    from attnviz.models.pointer import summarizer
    from attnviz.models.pointer.search import Hypothesis

    def empty_search(model, enc, state, settings):
        import torch
        return Hypothesis([], torch.zeros(0, enc.source_len), None, torch.zeros(0), torch.zeros(0), 0.0)

    monkeypatch.setattr(summarizer, "search", empty_search)
    assert main(["explain", "--text", TEXT, "--model", model_dir, "--methods", "occlusion"]) == 2
    assert "the summary is empty" in capsys.readouterr().err


def test_dataclass_options_reject_an_unsupported_annotation():
    from dataclasses import dataclass

    from attnviz.cli import _add_dataclass_options, _Parser, build_parser

    @dataclass
    class Settings:
        epochs: int = 3
        where: Path = Path("runs")

    @dataclass
    class Limits:
        limit: int | None = None

    with pytest.raises(TypeError, match=r"Settings\.where is annotated 'Path'; a command-line option needs bool, int"):
        _add_dataclass_options(_Parser(), Settings)
    parser = _Parser()
    _add_dataclass_options(parser, Limits)
    assert parser.parse_args(["--limit", "4"]).limit == 4 and parser.parse_args([]).limit is None
    args = build_parser().parse_args(["train", "--epochs", "3", "--no-glove", "--lr", "0.01", "--out", "x"])
    assert (args.epochs, args.glove, args.lr, args.out, args.coverage) == (3, False, 0.01, "x", True)
