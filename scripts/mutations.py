"""A mutation check: apply deliberate bugs, one at a time, to a temporary copy of the repository and run the
test files that should catch each; report which were caught (issue 24).

    .venv/bin/python scripts/mutations.py                 # every mutation (a few minutes on 2 cores)
    .venv/bin/python scripts/mutations.py --only aopc_sum_over_k_plus_1
    .venv/bin/python scripts/mutations.py --tiny          # the one fast mutation (what tests/test_mutations.py runs)
    .venv/bin/python scripts/mutations.py --list
    .venv/bin/python scripts/mutations.py --head          # the last commit, not the working tree
    .venv/bin/python scripts/mutations.py --only hf_bias_dropped --files tests/test_transformers.py

Each mutation is a list of exact string replacements in the package's source; each must match exactly once
(so a mutation that no longer applies is reported as an error, not as caught). The copy is the working
tree without .venv, .git and data; its tests run with this interpreter, ``-x`` (stop at the first
failure), in the copy's own directory. A mutation is "caught" when pytest reports failed tests (exit
status 1), "MISSED" when every test passes, "ERROR" for anything else (a collection error, a timeout, a
replacement that does not match). Before the mutations, the same files run on the unmutated copy
(``--no-baseline`` skips it): a file that already fails would make every mutation look caught.
Exit status 1 if any mutation is missed or errs (or the baseline fails).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_IGNORED = {".venv", ".git", "data", "runs"}                  # at the top of the repository only
IGNORED = {"__pycache__", ".pytest_cache", ".ruff_cache", ".import_linter_cache"}   # anywhere


@dataclass(frozen=True)
class Mutation:
    name: str
    bug: str                                   # what it breaks, in words
    edits: tuple[tuple[str, str, str], ...]    # (file, exact old text, new text); old must occur once
    tests: tuple[str, ...]                     # test files that should catch it, fastest first


MUTATIONS = (
    Mutation("mask_embedding_as_pad", "a removed token is read as <pad> instead of the learned mask embedding",
             (("attnviz/models/pointer/seq2seq.py", "(1 - g) * self.mask_embedding)",
               "(1 - g) * self.source_embedding.weight[PAD_ID])"),),
             ("tests/test_removal_is_the_mask.py", "tests/test_model.py", "tests/test_shipped_explanations.py")),
    Mutation("hf_bias_dropped", "the Hugging Face scorer drops the attention bias log g (absent pieces attended)",
             (("attnviz/models/hf/scorer.py", "attention_mask=bias,", "attention_mask=None,"),),
             ("tests/test_removal_is_the_mask.py", "tests/test_transformers.py")),
    Mutation("aopc_sum_over_k_plus_1", "AOPC computed as sum / (K + 1) instead of the mean over the K fractions",
             (("attnviz/measures.py", "return float(self.comprehensiveness.mean())",
               "return float(self.comprehensiveness.sum(axis=1).mean() / (self.comprehensiveness.shape[1] + 1))"),
              ("attnviz/measures.py", "return float(self.sufficiency.mean())",
               "return float(self.sufficiency.sum(axis=1).mean() / (self.sufficiency.shape[1] + 1))")),
             ("tests/test_faithfulness_direct.py", "tests/test_faithfulness.py")),
    Mutation("kernel_shap_capped_at_100", "KernelSHAP silently draws at most 100 samples (still reports n_samples)",
             (("attnviz/explain/perturbation.py", "_per_row(KernelShap, scorer, n_samples=n_samples, seed=seed)",
               "_per_row(KernelShap, scorer, n_samples=min(n_samples, 100), seed=seed)"),),
             ("tests/test_budgets_used.py", "tests/test_explain.py")),
    Mutation("occlusion_sign_flipped", "occlusion is f(without j) − f(all) instead of f(all) − f(without j)",
             (("attnviz/explain/perturbation.py", "scores = (out[:1] - out[1:]).T", "scores = (out[1:] - out[:1]).T"),),
             ("tests/test_explain.py", "tests/test_budgets_used.py")),
    Mutation("absent_token_attended", "the pointer-generator's attention ignores presence (absent tokens attended "
             "and copied)",
             (("attnviz/models/pointer/seq2seq.py", "gate = torch.cat([gate, gate.new_ones(b, 1)], dim=1)",
               "gate = torch.cat([mask.to(gate.dtype), gate.new_ones(b, 1)], dim=1)"),),
             ("tests/test_removal_is_the_mask.py", "tests/test_model.py")),
    Mutation("faithfulness_ranks_lowest_first", "faithfulness removes the lowest-scored tokens first",
             (("attnviz/faithfulness.py", "np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind=\"stable\")",
               "np.argsort(np.asarray(scores, dtype=np.float64), axis=1, kind=\"stable\")"),),
             ("tests/test_faithfulness_direct.py", "tests/test_faithfulness.py")),
    Mutation("forward_passes_counted_per_batch", "the scorer counts one forward pass per batch, not per source",
             (("attnviz/models/scorer.py", "self.forward_passes += n", "self.forward_passes += 1"),),
             ("tests/test_budgets_used.py", "tests/test_cost.py")),
    Mutation("lime_kernel_width_changed", "LIME's similarity kernel is wider than documented (width 1 → 2)",
             (("attnviz/explain/reference.py",
               "Lime(forward, interpretable_model=SkLearnRidge(alpha=LIME_RIDGE_ALPHA))",
               "Lime(forward, interpretable_model=SkLearnRidge(alpha=LIME_RIDGE_ALPHA), "
               "similarity_func=__import__('captum').attr._core.lime.get_exp_kernel_similarity_function("
               "'cosine', kernel_width=2.0))"),),
             ("tests/test_explain.py",)),
)
TINY = "aopc_sum_over_k_plus_1"          # the fast one: one test file of a few seconds catches it


def copy_tree(destination: Path, head: bool = False) -> Path:
    """The working tree (or, with ``head``, the last commit: other people's unfinished edits left out) in
    ``destination``/repo."""
    target = destination / "repo"
    if head:
        target.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return target
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in IGNORED or (Path(folder) == ROOT and n in TOP_IGNORED)}

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    return target


def apply(mutation: Mutation, tree: Path) -> None:
    for file, old, new in mutation.edits:
        path = tree / file
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise LookupError(f"{file}: the text to replace occurs {text.count(old)} times, not once: {old!r}")
        path.write_text(text.replace(old, new), encoding="utf-8")


def run_tests(tree: Path, files: tuple[str, ...], timeout: float) -> tuple[int | None, str]:
    """pytest -x on ``files`` in ``tree`` → (exit status or None on timeout, its output)."""
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *files]
    try:
        done = subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(tree)})
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        return None, out.decode(errors="replace") if isinstance(out, bytes) else out
    return done.returncode, done.stdout + done.stderr


def first_failure(output: str) -> str:
    found = re.search(r"^(?:FAILED|ERROR) (\S+)", output, flags=re.MULTILINE)
    return found.group(1).split("::", 1)[-1] if found else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this mutation (repeatable)")
    parser.add_argument("--tiny", action="store_true", help=f"run only the fast mutation ({TINY})")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--head", action="store_true",
                        help="mutate the last commit instead of the working tree (leaves out uncommitted edits)")
    parser.add_argument("--files", nargs="+", metavar="FILE",
                        help="run these test files instead of each mutation's own (e.g. to see what older tests miss)")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the files on the unmutated copy")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per pytest run (default 600)")
    args = parser.parse_args(argv)
    by_name = {m.name: m for m in MUTATIONS}
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name}: {m.bug} [{', '.join(m.tests)}]")
        return 0
    names = args.only + ([TINY] if args.tiny else [])
    unknown = [n for n in names if n not in by_name]
    if unknown:
        parser.error(f"unknown mutation {', '.join(unknown)}; known: {', '.join(by_name)}")
    chosen = [by_name[n] for n in dict.fromkeys(names)] if names else list(MUTATIONS)
    if args.files:
        chosen = [replace(m, tests=tuple(args.files)) for m in chosen]

    rows, failed = [], False
    with tempfile.TemporaryDirectory(prefix="attnviz-mutations-") as scratch:
        pristine = copy_tree(Path(scratch), args.head)
        if not args.no_baseline:
            files = tuple(dict.fromkeys(f for m in chosen for f in m.tests))
            start = time.perf_counter()
            status, output = run_tests(pristine, files, args.timeout)
            seconds = time.perf_counter() - start
            print(f"baseline (no mutation): {len(files)} files, exit status {status}, {seconds:.0f} s", flush=True)
            if status != 0:
                print(output[-3000:])
                print("the unmutated tests do not pass: a mutation could not be told caught from broken"
                      + ("" if args.head else " (--head checks the last commit, without uncommitted edits)"))
                return 1
        for mutation in chosen:
            tree = Path(scratch) / mutation.name
            shutil.copytree(pristine, tree, symlinks=True)
            start = time.perf_counter()
            try:
                apply(mutation, tree)
                status, output = run_tests(tree, mutation.tests, args.timeout)
            except LookupError as exc:
                status, output = None, str(exc)
            seconds = time.perf_counter() - start
            if status == 1:
                verdict = f"caught ({first_failure(output)})"
            elif status == 0:
                verdict, failed = "MISSED", True
            else:
                verdict, failed = f"ERROR ({'timeout' if status is None else f'exit status {status}'})", True
                print(output[-2000:])
            rows.append((mutation.name, " ".join(Path(f).name for f in mutation.tests), verdict, f"{seconds:.0f}"))
            print(f"{mutation.name}: {verdict}, {seconds:.0f} s", flush=True)
            shutil.rmtree(tree, ignore_errors=True)

    print()
    print("| mutation | files run | result | seconds |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
