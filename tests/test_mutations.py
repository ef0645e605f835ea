"""scripts/mutations.py runs: a deliberate bug applied to a copy of the repository is caught by its tests."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_mutation_check_catches_aopc_as_sum_over_k_plus_1():
    done = subprocess.run([sys.executable, "scripts/mutations.py", "--tiny", "--timeout", "120"], cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "baseline (no mutation): 2 files, exit status 0" in done.stdout
    assert "| aopc_sum_over_k_plus_1 | test_faithfulness_direct.py test_faithfulness.py | caught (" in done.stdout


def test_every_mutation_still_applies_and_names_existing_test_files():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import mutations
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    for mutation in mutations.MUTATIONS:                                 # every edit still matches exactly once
        for file, old, _ in mutation.edits:
            assert (ROOT / file).read_text(encoding="utf-8").count(old) == 1, (mutation.name, file)
        assert all((ROOT / f).is_file() for f in mutation.tests), mutation.name
