"""The corpus report: serial and Dask runs agree; JSON and HTML are written; the CLI sections exist."""
import json
import random

import numpy as np
import pytest

from attnviz.agreement import METRICS
from attnviz.cli import main
from attnviz.explanation import Explanation
from attnviz.jsonvalues import finite
from attnviz.models.base import DecodingSettings
from attnviz.models.pointer.checkpoint import save_checkpoint
from attnviz.report import ReportSettings, aggregate, run_report
from tests.conftest import make_model, random_text


def _checkpoint(tmp_path_factory, name: str, **config) -> str:
    from attnviz.models.pointer.vocabulary import SPECIALS, Vocabulary
    from tests.conftest import WORDS

    vocab = Vocabulary(list(SPECIALS) + WORDS)
    folder = tmp_path_factory.mktemp("models") / name
    save_checkpoint(folder, make_model(vocab, seed=9, coverage=True, **config), vocab)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    return _checkpoint(tmp_path_factory, "tiny")


@pytest.fixture(scope="module")
def tiny_multihead(tmp_path_factory):
    return _checkpoint(tmp_path_factory, "tiny-heads", attention="multihead", num_heads=2)


def _settings(model: str) -> ReportSettings:
    return ReportSettings(model=model, methods=("attention", "occlusion", "lime"), params={"lime": {"n_samples": 30}},
                          decoding=DecodingSettings(beam_size=2, min_len=3, max_len=4), random_orders=4, seed=2)


def _texts(n: int) -> list[str]:
    rng = random.Random(3)
    return [random_text(rng, rng.randint(10, 16)) for _ in range(n)]


def _numbers(report: dict) -> np.ndarray:
    flat = []
    for doc in report["documents"]:
        flat += [v for pair in doc["pairs"].values() for v in pair.values()]
        flat += [v for f in doc["faithfulness"].values() for v in f.values()]
    return np.array([np.nan if v is None else v for v in flat], dtype=float)


def test_dask_run_equals_the_serial_run(tiny_checkpoint):
    texts = _texts(4)
    serial = run_report(texts, _settings(tiny_checkpoint), serial=True)
    seen = []
    parallel = run_report(texts, _settings(tiny_checkpoint), workers=2, progress=lambda d, n: seen.append((d, n)))
    assert parallel["mode"].startswith("dask local cluster") and seen[-1] == (4, 4)
    assert [d["summary"] for d in parallel["documents"]] == [d["summary"] for d in serial["documents"]]
    np.testing.assert_allclose(_numbers(parallel), _numbers(serial), atol=1e-6, equal_nan=True)
    split = ["attention (copy)", "attention (generate)"]              # the pointer's copy and generate shares
    methods = ["attention", *split, "occlusion", "lime"]
    assert set(serial["aggregate"]["agreement"]) == {f"{a} | {b}" for i, a in enumerate(methods)
                                                     for b in methods[i + 1:]} | {"attention | random"}
    assert set(serial["aggregate"]["faithfulness"]) == {*methods, "random"}
    copied = serial["aggregate"]["by_token_kind"]["copied"]
    assert set(copied["faithfulness"]) == {*methods, "random"} and copied["share"]["n"] == 4
    shuffled = serial["aggregate"]["counterfactual"]["permuted"]
    assert shuffled["mean_change"]["n"] == 4 and 0 <= shuffled["same_greedy_share"]["mean"] <= 1


def test_a_serial_run_uses_one_blas_thread_like_a_dask_worker(tiny_checkpoint, monkeypatch):
    """LIME's ridge fits go through numpy's BLAS, whose results change in the last bits with its thread
    count; serial documents must run under the workers' one thread, so that both runs give the same ranks."""
    from threadpoolctl import threadpool_info

    from attnviz import report

    threads = []
    real = report.document_figures

    def recording(text, settings):
        threads.append({pool["num_threads"] for pool in threadpool_info()})
        return real(text, settings)

    monkeypatch.setattr(report, "document_figures", recording)
    run_report(_texts(2), _settings(tiny_checkpoint), serial=True)
    assert threads == [{1}, {1}]


def test_a_document_that_cannot_be_summarized_is_reported_not_fatal(tiny_checkpoint):
    report = run_report(["   ", _texts(1)[0]], _settings(tiny_checkpoint), serial=True)
    assert "empty" in report["documents"][0]["error"] and "error" not in report["documents"][1]
    assert report["aggregate"]["failed"] == 1
    assert report["aggregate"]["agreement"]["attention | occlusion"]["spearman_rho"]["n"] == 1


def test_aggregate_is_mean_std_count_ignoring_missing():
    docs = [{"pairs": {"a | b": {m: 0.5 for m in METRICS}}, "faithfulness": {"a": {"aopc_comprehensiveness": 1.0,
                                                                                   "aopc_sufficiency": None}}},
            {"pairs": {"a | b": {m: 1.0 for m in METRICS}}, "faithfulness": {"a": {"aopc_comprehensiveness": 3.0,
                                                                                   "aopc_sufficiency": 2.0}}}]
    agg = aggregate(docs)
    assert agg["agreement"]["a | b"]["spearman_rho"] == {"mean": 0.75, "ci95": [0.5, 1.0], "std": 0.25, "n": 2}
    assert agg["faithfulness"]["a"]["aopc_sufficiency"] == {"mean": 2.0, "ci95": [2.0, 2.0], "std": 0.0, "n": 1}
    assert finite([float("nan"), np.float32(2.0), {"x": float("inf")}]) == [None, 2.0, {"x": None}]


def test_report_command_writes_json_and_html(tiny_checkpoint, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"text": t, "summary": "w1"}) + "\n" for t in _texts(3)), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--pairs", str(pairs), "--model", tiny_checkpoint, "--methods", "attention,occlusion",
                 "--limit", "2", "--out", str(out), "--serial", "--beam", "1", "--max-len", "3"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["aggregate"]["documents"] == 2 and len(report["documents"]) == 2
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "AOPC by method" in page
    assert "2 documents" in capsys.readouterr().out
    assert main(["report", "--pairs", str(tmp_path / "none.jsonl"), "--out", str(out)]) == 2


def test_explain_json_has_agreement_and_faithfulness(tiny_checkpoint, capsys):
    text = "w1 w2 zorblax w3 the w4 . w5 w6 w7 , w8 w9 a w10"
    assert main(["explain", "--text", text, "--model", tiny_checkpoint, "--methods", "attention,occlusion",
                 "--beam", "1", "--max-len", "4", "--random-orders", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    t = len(out["generation"]["summary_tokens"])
    assert out["agreement"]["methods"] == ["attention", "occlusion"]
    assert set(out["agreement"]["matrices"]) == set(METRICS)
    assert len(out["agreement"]["with_attention_per_token"]["occlusion"]["spearman_rho"]) == t
    faith = out["faithfulness"]["methods"]
    assert set(faith) == {"attention", "occlusion", "random"} and "aopc_std" in faith["random"]
    assert len(faith["occlusion"]["comprehensiveness"]) == t and len(faith["occlusion"]["deletion_curve"]) == 6
    assert out["faithfulness"]["cost"]["forward_passes"] > 0


def test_an_existing_scheduler_gives_the_same_results(tiny_checkpoint):
    from distributed import LocalCluster

    texts = _texts(2)
    serial = run_report(texts, _settings(tiny_checkpoint), serial=True)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_report(texts, _settings(tiny_checkpoint), scheduler=cluster.scheduler_address)
    assert remote["mode"] == f"dask scheduler {cluster.scheduler_address}"
    np.testing.assert_allclose(_numbers(remote), _numbers(serial), atol=1e-6, equal_nan=True)


def test_source_limit_reaches_the_documents(tiny_checkpoint):
    settings = ReportSettings(model=tiny_checkpoint, methods=("attention",), random_orders=2, max_source_tokens=5,
                              decoding=DecodingSettings(beam_size=1, min_len=2, max_len=3))
    report = run_report(_texts(1), settings, serial=True)
    assert report["documents"][0]["source_tokens"] == 5 and report["settings"]["max_source_tokens"] == 5


def test_report_can_keep_each_explanation_and_they_load(tiny_checkpoint, tmp_path):
    from attnviz.explanation import Explanation

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"text": t, "summary": "w1"}) + "\n" for t in ["   "] + _texts(2)),
                     encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--pairs", str(pairs), "--model", tiny_checkpoint, "--methods", "occlusion",
                 "--out", str(out), "--serial", "--beam", "1", "--max-len", "3", "--random-orders", "2",
                 "--explanations"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert "error" in report["documents"][0] and "explanation_file" not in report["documents"][0]
    for document in report["documents"][1:]:
        explanation = Explanation.loads((out / document["explanation_file"]).read_bytes())
        assert explanation.generation.summary == document["summary"]
        assert list(explanation.attributions) == ["attention", "attention (copy)", "attention (generate)", "occlusion"]
        assert explanation.faithfulness["occlusion"].aopc_comprehensiveness == pytest.approx(
            document["faithfulness"]["occlusion"]["aopc_comprehensiveness"], abs=1e-6)


def test_a_report_folder_that_cannot_be_written_is_a_message(tiny_checkpoint, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"text": _texts(1)[0], "summary": "w1"}) + "\n", encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["report", "--pairs", str(pairs), "--model", tiny_checkpoint, "--methods", "attention",
                 "--out", str(blocker / "out"), "--serial", "--random-orders", "2"]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_models_report_tables_every_model_and_method_with_intervals(tiny_checkpoint, tiny_multihead, tmp_path,
                                                                      capsys):
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps({"text": t}) + "\n" for t in _texts(3)), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["report", "--pairs", str(pairs), "--models", f"{tiny_checkpoint},{tiny_multihead}",
                 "--methods", "attention,occlusion", "--out", str(out), "--serial", "--beam", "1", "--max-len", "3",
                 "--random-orders", "2", "--explanations"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = {(r["model"], r["method"]): r for r in report["table"]}
    methods = ["attention", "attention (copy)", "attention (generate)", "occlusion", "random"]
    assert set(rows) == {(tiny_checkpoint, m) for m in methods} | {
        (tiny_multihead, m) for m in methods + ["attention head 0", "attention head 1"]}
    for model in (tiny_checkpoint, tiny_multihead):
        one = report["models"][model]
        for method in ("occlusion", "random"):
            values = [d["pairs"][f"attention | {method}"]["spearman_rho"] for d in one["documents"]]
            cell = rows[model, method]["agreement_with_attention"]["spearman_rho"]
            assert cell["n"] == 3 and cell["mean"] == pytest.approx(np.mean(values))
            assert cell["ci95"][0] <= cell["mean"] <= cell["ci95"][1]
        assert rows[model, "attention"]["agreement_with_attention"] is None
        assert Explanation.loads((out / one["documents"][0]["explanation_file"]).read_bytes()).settings.model in model
    heads = Explanation.loads((out / report["models"][tiny_multihead]["documents"][1]["explanation_file"]).read_bytes())
    np.testing.assert_allclose(heads.scores["attention head 0"] + heads.scores["attention head 1"],
                               2 * heads.scores["attention"], atol=1e-5)                 # the heads' mean is attention
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "attnviz models report" in page and "attention head 1" in page and "AOPC by model and method" in page
    printed = capsys.readouterr().out
    assert "attention head 1" in printed and "AOPC comprehensiveness" in printed
    assert main(["report", "--pairs", str(pairs), "--models", f"{tiny_checkpoint},{tiny_checkpoint}",
                 "--out", str(out)]) == 2
