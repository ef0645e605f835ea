"""The import layers the design promises: results, comparison, plots and exports load without torch or captum,
and nothing in the package loads streamlit."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_FREE = ("attnviz.types", "attnviz.explanation", "attnviz.compare", "attnviz.faithfulness",
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
