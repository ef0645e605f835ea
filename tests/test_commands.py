"""The commands behind the docs' figures run: every script in benchmarks/ and scripts/, each in a small mode
(the fewest tokens, runs and methods that still go through its whole code), so a figure's command cannot
break unnoticed. These check that the commands work, not the figures they print (those are measured by
running them in full), except where a small run still has a known answer: the serial and Dask reports give
the same figures, and attention is the same quantity in attnviz and Inseq. scripts/mutations.py runs in
tests/test_mutations.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.app_server import chromium_path

ROOT = Path(__file__).resolve().parent.parent

SMALL = {
    "benchmarks/latency.py": ["--tokens", "40", "--runs", "1"],
    "benchmarks/forward.py": ["--tokens", "40", "--summary-tokens", "4", "--masks", "4", "--runs", "1"],
    "benchmarks/granularity.py": ["--tokens", "60", "--summary-tokens", "4", "--runs", "1", "--methods",
                                  "attention,occlusion"],
    "benchmarks/threads.py": ["--tokens", "30", "--repeats", "1", "--busy", "0"],
    "benchmarks/hf_model.py": ["--tokens", "30", "--summary-tokens", "3", "--runs", "1", "--methods", "occlusion"],
    "benchmarks/models.py": ["--models", "news-pointer-generator", "--tokens", "30", "--explain-tokens", "30",
                             "--summary-tokens", "3", "--runs", "1", "--methods", "occlusion"],
    "benchmarks/explain.py": ["--tokens", "30", "--summary-tokens", "3", "--repeats", "1", "--rss-tokens", "40"],
    "benchmarks/limits.py": ["--words", "300", "--max-seconds", "2", "--page-tokens", "60", "--methods", "occlusion"],
}


def _run(argv: list[str], timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("script", list(SMALL))
def test_a_benchmark_runs_in_its_small_mode_and_ends_with_its_json_line(script):
    run = _run([script, *SMALL[script]])
    assert run.returncode == 0, run.stderr[-3000:]
    json.loads(run.stdout.strip().splitlines()[-1])                 # the figures, machine-readable


def last_json(argv: list[str]) -> dict:
    run = _run(argv)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_compare_benchmark_serial_and_dask_reports_agree():
    out = last_json(["benchmarks/compare.py", "--tokens", "40", "--documents", "2", "--words", "40", "--repeats", "1"])
    assert out["faithfulness"]["forward_passes"] > 0 and out["report"]["documents"] == 2
    assert out["report"]["equal_results"]


def needs(present: bool, what: str) -> None:
    """Skip with a reason when ``what`` is missing here; under CI (which installs it) fail instead."""
    if not present:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {what} is missing (make test installs it)")
        pytest.skip(f"{what} is missing")


def test_browser_benchmark_times_a_click_and_a_model_pick():
    needs(chromium_path() is not None, "Chromium (apt-get install chromium)")
    out = last_json(["benchmarks/app.py", "--runs", "1", "--words", "50", "--cold-starts", "1"])
    assert out["runs"] == 1 and out["cold_starts"] == 1 and out["click_to_heatmap_s"][0] > 0
    out = last_json(["benchmarks/app.py", "--models", "news-pointer-generator,news-multihead", "--runs", "1",
                     "--words", "50"])
    assert set(out) == {"news-pointer-generator", "news-multihead"} and out["news-multihead"]["load_cold_s"] > 0


def test_inseq_comparison_on_the_tiny_bart_gives_the_same_attention():
    needs((ROOT / ".inseq-lib" / "inseq").is_dir(), "Inseq in .inseq-lib (make .inseq-lib/.installed)")
    out = last_json(["benchmarks/inseq_compare.py", "--tiny", "--tokens", "30", "--summary-tokens", "3",
                     "--n-steps", "4", "--samples", "20", "--runs", "1"])
    assert set(out["methods"]) == {"attention", "saliency", "input_x_gradient", "integrated_gradients", "occlusion",
                                   "lime"}
    assert out["summary_tokens"] == 3 and out["methods"]["attention"]["max_abs_diff"] < 1e-5


TABLES = {   # benchmarks that print a table only
    "benchmarks/ig_quadrature.py": ["--tokens", "30", "--summary-tokens", "2", "--reference", "50"],
    "benchmarks/partition_shap.py": ["--tokens", "30", "--max-evals", "40", "--runs", "1", "--summary-tokens", "3"],
}


@pytest.mark.parametrize("script", list(TABLES))
def test_a_benchmark_prints_its_table(script):
    run = _run([script, *TABLES[script]])
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.stdout.strip().splitlines()) > 3


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    from attnviz.examples import load_examples

    path = tmp_path_factory.mktemp("pairs") / "pairs.jsonl"
    path.write_text("".join(json.dumps({"text": e["text"], "summary": e["reference"]}) + "\n"
                            for e in load_examples()[:2]), encoding="utf-8")
    return path


def test_predict_writes_one_prediction_per_pair(pairs, tmp_path):
    out = tmp_path / "predictions.jsonl"
    run = _run(["scripts/predict.py", "--pairs", str(pairs), "--out", str(out)])
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and all(isinstance(r["prediction"], str) and r["prediction"] for r in rows)


def test_float16_keeps_float32_or_float16_and_says_which(pairs, tmp_path):
    shipped = ROOT / "pretrained" / "news-pointer-generator"
    run = _run(["scripts/float16.py", "--model", str(shipped), "--out", str(tmp_path / "half"), "--pairs", str(pairs)])
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "half" / "model.safetensors").is_file() and "identical" in run.stdout


def test_compare_reports_prints_both_reports(tmp_path):
    from attnviz.cli import main

    pairs = tmp_path / "texts.jsonl"
    pairs.write_text(json.dumps({"text": "The minister met the committee on Monday to discuss the budget."}) + "\n",
                     encoding="utf-8")
    for name in ("before", "after"):
        assert main(["report", "--pairs", str(pairs), "--out", str(tmp_path / name), "--serial", "--methods",
                     "attention,occlusion", "--random-orders", "2"]) == 0
    run = _run(["scripts/compare_reports.py", str(tmp_path / "before" / "report.json"),
                str(tmp_path / "after" / "report.json")])
    assert run.returncode == 0, run.stderr[-3000:]
    assert "occlusion" in run.stdout and "random" in run.stdout
