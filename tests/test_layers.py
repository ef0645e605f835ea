"""The import layers the design promises: results, comparison, plots and exports load without torch or captum,
and nothing in the package loads streamlit."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_FREE = ("attnviz.types", "attnviz.explanation", "attnviz.agreement", "attnviz.faithfulness",
              "attnviz.normalise", "attnviz.plots", "attnviz.export")


def _loaded_after(imports: str) -> set[str]:
    code = f"import sys; {imports}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_results_comparison_plots_and_exports_need_no_torch():
    loaded = _loaded_after("; ".join(f"import {m}" for m in TORCH_FREE))
    assert not loaded & {"torch", "captum", "shap", "streamlit"}, loaded & {"torch", "captum", "shap", "streamlit"}
    assert "attnviz" in loaded and "plotly" in loaded


def test_the_package_never_loads_streamlit():
    modules = [p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".") for p in (ROOT / "attnviz").rglob("*.py")
               if p.name not in ("__main__.py",)]
    loaded = _loaded_after("; ".join(f"import {m.removesuffix('.__init__')}" for m in modules))
    assert "torch" in loaded and "streamlit" not in loaded


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter's contracts (.importlinter) on the tree at ``root``."""
    linter = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(linter), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PATH": str(linter.parent), "PYTHONPATH": str(root)})


def test_the_import_contracts_hold():
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout and "KEPT" in run.stdout


def test_a_family_imported_from_shared_code_breaks_a_contract(tmp_path):
    import shutil

    shutil.copy(ROOT / ".importlinter", tmp_path)
    for package in ("attnviz", "webpage"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    with open(tmp_path / "attnviz" / "agreement.py", "a", encoding="utf-8") as f:
        f.write("\nfrom attnviz.models.pointer.scorer import PointerScorer  # noqa: E402,F401\n")
    with open(tmp_path / "attnviz" / "words.py", "a", encoding="utf-8") as f:
        f.write("\nfrom attnviz.features import Features  # noqa: E402,F401  (features imports words: a circle)\n")
    run = _lint_imports(tmp_path)
    assert run.returncode != 0
    assert "Shared code never imports a model family" in run.stdout and "No import circles" in run.stdout
    assert run.stdout.count("BROKEN") >= 3          # the family, torch through it, and the circle
