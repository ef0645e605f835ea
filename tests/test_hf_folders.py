"""Hostile Hugging Face folders, each made by editing a tiny saved folder (tests/hf_models.py) as a careful
tester would: every one is refused through the command line with exit status 2 and one sentence that names
the file and the field, before transformers builds the model, within seconds."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from attnviz.cli import main
from attnviz.models.hf.folder import check_folder
from attnviz.models.hf.sizes import FIELDS
from tests import hf_models

TEXT = "the minister met the committee on monday after the budget vote failed"
SECONDS = 5.0
DELETE = object()                   # a config change that removes the field
LIBRARY_WORDS = re.compile(r"\b[A-Z]\w*(Error|Exception|Warning)\b|Traceback")

Edit = Callable[[Path], None]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """Tiny valid folders of every family (and a BART with 8 positions, its weights to match)."""
    root = tmp_path_factory.mktemp("hf-folders")
    folders = {family: hf_models.save(family, root / family) for family in hf_models.ALL_FAMILIES}
    folders["bart-8-positions"] = _bart_with_positions(root / "bart-8-positions", 8)
    folders["bart-2-positions"] = _bart_with_positions(root / "bart-2-positions", 2)
    folders["bart-mask-beyond"] = _bart_with_mask_beyond(root / "bart-mask-beyond")
    return folders


def _bart_with_positions(folder: Path, positions: int) -> Path:
    """The tiny BART of hf_models with ``positions`` learned positions (config and weights agree)."""
    from transformers import BartForConditionalGeneration

    model = hf_models.model("bart")
    config = model.config
    config.max_position_embeddings = positions
    BartForConditionalGeneration(config).save_pretrained(folder)
    hf_models.tokenizer("bart").save_pretrained(folder)
    return folder


def _bart_with_mask_beyond(folder: Path) -> Path:
    """A tiny BART laid out as bart-large-cnn: the tokenizer's <mask> is the one id beyond the model's vocabulary."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BartForConditionalGeneration, PreTrainedTokenizerFast

    words = ["<s>", "<pad>", "</s>", "<unk>"] + list(hf_models.WORDS)
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words + ["<mask>"])}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    config = hf_models.model("bart").config
    config.vocab_size = len(words)
    BartForConditionalGeneration(config).save_pretrained(folder)
    PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                            unk_token="<unk>", mask_token="<mask>").save_pretrained(folder)
    return folder


def run_cli(argv: list[str], capsys) -> tuple[int, str, float]:
    """Exit status, standard error and seconds of the CLI run in this process."""
    start = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err, time.perf_counter() - start


def assert_refused(code: int, err: str, seconds: float, *fragments: str) -> str:
    """Exit status 2, one line "attnviz: error: ..." holding every fragment and no library exception's name,
    within ``SECONDS``; → the line."""
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("attnviz: error: "), err
    assert all(fragment in lines[0] for fragment in fragments), lines[0]
    assert not LIBRARY_WORDS.search(lines[0]), lines[0]
    assert seconds < SECONDS, f"{seconds:.1f} s: {lines[0]}"
    return lines[0]


# ------------------------------------------------------------------ edits

def edit_json(name: str, **changes: object) -> Edit:
    """Set (or with DELETE remove) fields of the folder's JSON file ``name``."""
    def edit(folder: Path) -> None:
        data = json.loads((folder / name).read_text())
        for key, value in changes.items():
            if value is DELETE:
                data.pop(key, None)
            else:
                data[key] = value
        (folder / name).write_text(json.dumps(data))
    return edit


def config(**changes: object) -> Edit:
    return edit_json("config.json", **changes)


def generation(**changes: object) -> Edit:
    return edit_json("generation_config.json", **changes)


def write(name: str, content: bytes) -> Edit:
    return lambda folder: (folder / name).write_bytes(content)


def tokenizer_json(change: Callable[[dict], object]) -> Edit:
    """Change tokenizer.json's parsed object in place (``change`` edits it)."""
    def edit(folder: Path) -> None:
        data = json.loads((folder / "tokenizer.json").read_text())
        change(data)
        (folder / "tokenizer.json").write_text(json.dumps(data))
    return edit


def link_outside(name: str) -> Edit:
    """Replace ``name`` by a link to a copy of it outside the folder."""
    def edit(folder: Path) -> None:
        outside = folder.parent / f"outside-{folder.name}-{name}"
        shutil.move(folder / name, outside)
        (folder / name).symlink_to(outside)
    return edit


def fifo(name: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        os.mkfifo(folder / name)
    return edit


def more_words(data: dict) -> None:
    """Three ordinary words beyond the tiny BART's 33 ids."""
    data["model"]["vocab"].update({"zebra": 33, "yak": 34, "xerus": 35})


# ------------------------------------------------------------------ the table: (family, edit, file, fragments)

CASES: dict[str, tuple[str, Edit, tuple[str, ...]]] = {
    # layers
    "zero encoder layers": ("bart", config(encoder_layers=0),
                            ("config.json: encoder_layers must be a whole number from 1 to 256, not 0",)),
    "a hundred thousand layers": ("bart", config(decoder_layers=100_000),
                                  ("config.json: decoder_layers must be a whole number from 1 to 256, not 100000",)),
    "t5 zero layers": ("t5", config(num_layers=0), ("config.json: num_layers must be a whole number",)),
    "t5 a hundred thousand decoder layers": ("t5", config(num_decoder_layers=100_000),
                                             ("config.json: num_decoder_layers must be a whole number",)),
    "more layers than the weights hold": ("bart", config(encoder_layers=3),
                                          ("config.json: encoder_layers is 3, but model.safetensors holds 2 encoder",)),
    # heads
    "heads that do not divide the width": ("bart", config(encoder_attention_heads=5),
                                           ("config.json: encoder_attention_heads (5) must divide d_model (32)",)),
    "zero decoder heads": ("marian", config(decoder_attention_heads=0),
                           ("config.json: decoder_attention_heads must be a whole number",)),
    "t5 heads the weights do not have": ("t5", config(num_heads=3),
                                         ("config.json: num_heads or d_kv or d_model does not match the weights",
                                          "SelfAttention")),
    # the vocabulary
    "negative vocabulary": ("bart", config(vocab_size=-5), ("config.json: vocab_size must be a whole number", "-5")),
    "enormous vocabulary": ("pegasus", config(vocab_size=10**12),
                            ("config.json: vocab_size must be a whole number from 1 to 1,048,576",)),
    "vocabulary unlike the embedding": ("bart", config(vocab_size=20),
                                        ("config.json: vocab_size (20) does not match the embedding in "
                                         "model.safetensors",)),
    "tokenizer beyond the vocabulary": ("bart", tokenizer_json(more_words),
                                        ("tokenizer.json: 3 of the tokenizer's tokens lie beyond", "vocab_size is 33")),
    # sizes of the wrong type
    "width as a string": ("bart", config(d_model="512"),
                          ('config.json: d_model must be a whole number from 1 to 65,536, not "512"',)),
    "t5 width as a float": ("t5", config(d_model=32.0), ("config.json: d_model must be a whole number", "not 32.0")),
    "feed-forward as a boolean": ("mbart", config(encoder_ffn_dim=True),
                                  ("config.json: encoder_ffn_dim must be a whole number", "not true")),
    "t5 head width null": ("t5", config(d_kv=None), ("config.json: d_kv must be a whole number", "not null")),
    "width of five thousand digits": ("bart", lambda f: (f / "config.json").write_text(
        (f / "config.json").read_text().replace('"d_model": 32', '"d_model": ' + "9" * 5000)),
        ("config.json: d_model must be a whole number from 1 to 65,536, not a number of 5,000 digits",)),
    "width under another name": ("bart", config(d_model=DELETE, hidden_size="32"),
                                 ('config.json: hidden_size must be a whole number', 'not "32"')),
    # positions
    "no positions": ("bart", config(max_position_embeddings=0),
                     ("config.json: max_position_embeddings must be a whole number",)),
    "fewer positions than the weights": ("bart", config(max_position_embeddings=8),
                                         ("config.json: max_position_embeddings or d_model does not match the weights",
                                          "embed_positions.weight as 130 × 32")),
    # the parameter estimate
    "an absurd width with tiny weights": ("bart", config(d_model=65_536),
                                          ("config.json: these sizes", "attnviz loads at most 1,000,000,000")),
    "t5 absurd feed-forward and layers": ("t5", config(d_ff=262_144, num_layers=256, num_decoder_layers=256),
                                          ("config.json: these sizes", "parameters")),
    "feed-forward unlike the weights": ("bart", config(encoder_ffn_dim=128),
                                        ("config.json: encoder_ffn_dim or d_model does not match the weights",)),
    # the tokenizer
    "tokenizer class with other tokens": ("bart", edit_json("tokenizer_config.json", tokenizer_class="BertTokenizer"),
                                          ('tokenizer_config.json: tokenizer_class "BertTokenizer"',
                                           "beyond the model's vocabulary")),
    "tokenizer class that cannot read the files": (
        "bart", edit_json("tokenizer_config.json", tokenizer_class="T5Tokenizer"),
        ('tokenizer_config.json: tokenizer_class "T5Tokenizer" cannot be built',)),
    "tokenizer class not a name": ("bart", edit_json("tokenizer_config.json", tokenizer_class=["x"]),
                                   ("tokenizer_config.json: tokenizer_class must name a tokenizer class",)),
    "damaged tokenizer": ("bart", lambda f: (f / "tokenizer.json").write_text((f / "tokenizer.json").read_text()[:500]),
                          ("tokenizer.json is not valid JSON",)),
    "tokenizer not JSON": ("t5", write("tokenizer.json", b"\x00\xff\xfe binary"),
                           ("tokenizer.json is not JSON: it is not UTF-8 text",)),
    "tokenizer without added_tokens": ("bart", tokenizer_json(lambda d: d.pop("added_tokens")),
                                       ("tokenizer.json: added_tokens must be a list", "not missing")),
    "tokenizer model damaged": ("marian", tokenizer_json(lambda d: d["model"].update(vocab=5)),
                                ("tokenizer.json is damaged",)),
    "tokenizer config not an object": ("bart", write("tokenizer_config.json", b"[]"),
                                       ("tokenizer_config.json must hold a JSON object", "not an array")),
    "tokenizer linked outside": ("bart", link_outside("tokenizer.json"),
                                 ("tokenizer.json links outside the model folder",)),
    "tokenizer config linked outside": ("t5", link_outside("tokenizer_config.json"),
                                        ("tokenizer_config.json links outside the model folder",)),
    "tokenizer a FIFO": ("bart", fifo("tokenizer.json"), ("tokenizer.json is not a regular file",)),
    # generation_config.json
    "empty generation config": ("bart", write("generation_config.json", b""), ("generation_config.json is empty",)),
    "generation config without a start": ("bart", write("generation_config.json", b"{}"),
                                          ("generation_config.json: decoder_start_token_id is missing",)),
    "start beyond the vocabulary": ("t5", generation(decoder_start_token_id=99_999),
                                    ("generation_config.json: decoder_start_token_id must be a token id from 0 to 30",
                                     "not 99999")),
    "end tokens beyond the vocabulary": ("bart", generation(eos_token_id=[2, 500]),
                                         ("generation_config.json: eos_token_id must be a token id or a list",)),
    "negative forced first token": ("mbart", generation(forced_bos_token_id=-1),
                                    ("generation_config.json: forced_bos_token_id must be a token id",)),
    "padding as a string": ("bart", generation(pad_token_id="1"),
                            ('generation_config.json: pad_token_id must be a token id', 'not "1"')),
    "config padding beyond the vocabulary": ("pegasus", config(pad_token_id=40),
                                             ("config.json: pad_token_id must be a token id from 0 to 31",)),
    "generation config an array": ("bart", write("generation_config.json", b"[1, 2]"),
                                   ("generation_config.json must hold a JSON object",)),
    "weight index naming no files": ("bart", write("model.safetensors.index.json",
                                                   b'{"weight_map": {"a": 1, "b": []}}'),
                                     ("model.safetensors.index.json: weight_map must map each tensor",)),
    # other values transformers checks itself
    "unknown activation": ("bart", config(activation_function="nope"),
                           ('config.json: activation_function must name an activation', '"nope"')),
    "dropout as a string": ("bart", config(dropout="lots"),
                            ('config.json: dropout must be a number from 0 to 1, not "lots"',)),
    "a switch as a string": ("pegasus", config(scale_embedding="yes"),
                             ('config.json: scale_embedding must be true or false, not "yes"',)),
    "a value only transformers checks": ("bart", config(init_std="wide"),
                                         ("config.json: transformers refuses a value in it", "init_std")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_folder_is_refused_in_one_sentence(saved, tmp_path, capsys, case):
    family, edit, fragments = CASES[case]
    folder = tmp_path / family
    shutil.copytree(saved[family], folder)
    edit(folder)
    code, err, seconds = run_cli(["summarize", "--text", TEXT, "--model", str(folder)], capsys)
    assert_refused(code, err, seconds, *fragments)


def test_positions_too_few_for_the_summary_or_the_source(saved, capsys):
    code, err, seconds = run_cli(["summarize", "--text", TEXT, "--model", str(saved["bart-8-positions"]),
                                  "--max-len", "20"], capsys)
    assert_refused(code, err, seconds, "writes at most 7 summary tokens", "config.json's max_position_embeddings is 8")
    code, err, seconds = run_cli(["summarize", "--text", TEXT, "--model", str(saved["bart-8-positions"]),
                                  "--max-len", "7", "--min-len", "7", "--beam", "2"], capsys)
    assert code == 0, err                                          # the last position is used, not overrun
    from attnviz.errors import InputError
    from attnviz.models.loading import load_model

    with pytest.raises(InputError, match="the summary has 8 tokens; bart-8-positions reads at most 7"):
        load_model(saved["bart-8-positions"], device="cpu").force(TEXT, "the cat sat on the mat and the")
    code, err, seconds = run_cli(["summarize", "--text", TEXT, "--model", str(saved["bart-2-positions"])], capsys)
    assert_refused(code, err, seconds, "config.json: max_position_embeddings (2) leaves no room for a source text")


def test_a_special_token_beyond_the_vocabulary_is_refused_only_where_written(saved, capsys):
    """bart-large-cnn's layout loads (its <mask> is not in the model's vocabulary, so removal masks with another
    token), and a text that writes <mask> gets one line instead of an index error."""
    from attnviz.models.loading import load_model

    model = load_model(saved["bart-mask-beyond"], device="cpu")
    words = 4 + len(hf_models.WORDS)                                # <s> <pad> </s> <unk>, the words; <mask> after
    assert model.mask_id < model.vocabulary == words
    code, err, _ = run_cli(["summarize", "--text", TEXT, "--model", str(saved["bart-mask-beyond"])], capsys)
    assert code == 0, err
    code, err, seconds = run_cli(["summarize", "--text", "the cat <mask> sat", "--model",
                                  str(saved["bart-mask-beyond"])], capsys)
    assert_refused(code, err, seconds, "the text contains '<mask>'", f"vocabulary ({words} tokens) lacks")


def test_a_hundred_thousand_layers_stay_small_and_fast(saved, tmp_path):
    """Refused from the file in a fresh process: seconds, not minutes, and well under 1 GB of memory."""
    folder = tmp_path / "deep"
    shutil.copytree(saved["bart"], folder)
    config(encoder_layers=100_000, decoder_layers=100_000)(folder)
    # VmHWM is this process's own peak: getrusage's ru_maxrss keeps the peak of the forking parent (pytest, which
    # can be past 1 GB late in the suite) across exec
    script = ("import sys; from attnviz.cli import main; code = main(sys.argv[1:]); "
              "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:'))); "
              "sys.exit(code)")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", script, "summarize", "--text", TEXT, "--model", str(folder)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "encoder_layers must be a whole number" in run.stderr, run.stderr
    assert int(run.stdout.split()[-1]) < 1024 * 1024                       # kilobytes: under 1 GB
    assert time.perf_counter() - start < 60                                # the imports, on a busy machine


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_valid_folders_pass_the_checks(saved, family):
    checked = check_folder(saved[family])
    assert checked["model_type"] == family and checked.sizes.vocabulary == len(hf_models.vocabulary(family))
    assert 0 < checked.sizes.parameter_estimate() < 2 * sum(
        n for _, shape in checked.stored.values() for n in [__import__("math").prod(shape)])


def test_a_hugging_face_cache_snapshot_links_into_its_blobs(saved, tmp_path):
    """…/snapshots/<revision>/config.json → ../../blobs/<hash>: the cache's own layout is inside the folder."""
    blobs, snapshot = tmp_path / "models--x" / "blobs", tmp_path / "models--x" / "snapshots" / "abc"
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for path in saved["t5"].iterdir():
        shutil.copy(path, blobs / f"hash-{path.name}")
        (snapshot / path.name).symlink_to(Path("..", "..", "blobs", f"hash-{path.name}"))
    assert check_folder(snapshot)["model_type"] == "t5"


@pytest.mark.parametrize("family", sorted(FIELDS))
def test_the_defaults_are_transformers_own(family):
    """A field config.json leaves out is read with the default transformers' config class gives it."""
    import transformers

    names = {"bart": "BartConfig", "mbart": "MBartConfig", "t5": "T5Config", "mt5": "MT5Config",
             "marian": "MarianConfig", "pegasus": "PegasusConfig"}
    built = getattr(transformers, names[family])()
    for field in FIELDS[family]:
        if field.default is not None:
            assert getattr(built, field.name) == field.default, field.name
