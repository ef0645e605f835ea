"""Hugging Face encoder-decoders (tiny BART, T5 and Marian saved to a folder, loaded as a user would):
attention per layer and head, removal that means what it means for the pointer-generator, the known answers
of the explainers, and a one-line message for every folder attnviz cannot load."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from attnviz.errors import CheckpointError, DocumentError
from attnviz.explain import METHODS, known, reference
from attnviz.explanation import Explanation
from attnviz.models.base import DecodingSettings
from attnviz.models.loading import load_model
from tests import hf_models
from tests.conftest import intact

TEXT = "the minister met the committee on monday after the budget vote failed"
SHORT = "police said the city council plan failed"           # 7 tokens: every coalition can be enumerated
SETTINGS = DecodingSettings(beam_size=2, min_len=3, max_len=4)
SHORT_SETTINGS = DecodingSettings(beam_size=1, min_len=2, max_len=2)
READS = 0.1                       # nats: the least max_t |f_t(all) − f_t(none)| of a tiny model on each input
FLOAT32 = 1e-5                    # two computations of the same numbers, relative to the largest of them


def assert_close(actual, expected, relative):
    """max |actual − expected| ≤ relative · max |expected|: a tolerance that scales with the values compared."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    error, scale = np.abs(actual - expected).max(), np.abs(expected).max()
    assert error <= relative * scale, f"max |difference| {error:.3g} > {relative:g} × max |expected| {scale:.3g}"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    folders = {family: hf_models.save(family, root / f"tiny-{family}") for family in hf_models.ALL_FAMILIES}
    return {**folders, "bart-pieces": hf_models.save("bart", root / "tiny-bart-pieces", pieces=True)}


@pytest.fixture(scope="module")
def loaded(folders):
    return {family: load_model(folder, device="cpu") for family, folder in folders.items()}


@pytest.mark.parametrize("family", [*hf_models.ALL_FAMILIES, "bart-pieces"])
def test_the_tiny_models_read_their_source(loaded, family):
    """The known answers below are compared on numbers well above their tolerances: removing the whole source
    moves some summary token's log-probability by at least READS nats on every input the tests use."""
    model = loaded[family]
    for text, settings in ((TEXT, SETTINGS), (SHORT, SHORT_SETTINGS)):
        scorer = model.scorer(model.summarize(text, settings))
        whole, none = scorer.score_masks(np.array([[True] * scorer.source_len, [False] * scorer.source_len]))
        assert np.abs(whole - none).max() >= READS, (text, whole - none)


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_attention_by_layer_and_head_sums_to_one_over_the_whole_input(loaded, family):
    model = loaded[family]
    generation = model.summarize(TEXT, SETTINGS)
    layers = generation.layer_attention
    t, s = len(generation.summary_tokens), len(generation.source_tokens)
    assert layers.shape == (2, 4, t, s) and generation.source_words == list(range(s))
    np.testing.assert_allclose(generation.attention, layers.mean(axis=(0, 1)))
    source = torch.tensor([model.before + list(generation.source_ids) + model.after])
    prefix = generation.settings["decoder_prefix"]
    decoder = torch.tensor([prefix + list(generation.summary_ids[:-1])])
    with torch.no_grad():
        out = model.model(input_ids=source, decoder_input_ids=decoder, output_attentions=True)
    rows = slice(len(prefix) - 1, len(prefix) - 1 + t)
    for layer, weights in enumerate(out.cross_attentions):                         # (1, H, T', S')
        np.testing.assert_allclose(weights[0, :, rows].sum(-1).numpy(), 1.0, atol=1e-5)
        np.testing.assert_allclose(weights[0, :, rows, len(model.before):len(model.before) + s].numpy(), layers[layer],
                                   atol=1e-6)


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_summary_lengths_are_the_settings_own(loaded, family):
    """min_len = max_len = 4 gives 4 tokens, also where the config forces </s> at the last position (BART)."""
    generation = loaded[family].summarize(TEXT, DecodingSettings(beam_size=2, min_len=4, max_len=4))
    assert len(generation.summary_tokens) == 4
    greedy = loaded[family].summarize(TEXT, DecodingSettings(beam_size=1, min_len=1, max_len=3))
    assert 1 <= len(greedy.summary_tokens) <= 3


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_the_scorer_reproduces_the_generation_and_removal_hides_a_token_entirely(loaded, family):
    model = loaded[family]
    generation = model.summarize(TEXT, SETTINGS)
    scorer = model.scorer(generation)
    assert_close(intact(scorer).numpy(), generation.token_logprobs, FLOAT32)
    keep = np.ones((1, scorer.source_len), dtype=bool)
    keep[0, 2] = False
    absent = scorer.score_masks(keep)
    other = generation.source_ids.copy()
    other[2] = other[3]                                                             # another word in its place
    swapped = model.scorer(type(generation)(**{**generation.__dict__, "source_ids": other}))
    assert_close(swapped.score_masks(keep), absent, 1e-6)                            # absent: identity irrelevant
    present = ~keep | True
    assert np.abs(swapped.score_masks(present) - scorer.score_masks(present)).max() > 1e-2  # present: it matters
    gates = torch.ones(1, scorer.source_len)
    gates[0, 2] = 0.0
    assert_close(scorer.score_presence(gates).detach().numpy(), absent, FLOAT32)
    none = scorer.score_masks(np.zeros((1, scorer.source_len), dtype=bool))
    near_none = scorer.score_presence(torch.full((1, scorer.source_len), 1e-7)).detach().numpy()
    assert_close(near_none, none, 1e-4)                                             # the path's end is continuous


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_removal_equals_the_model_s_own_attention_mask(loaded, family):
    """An absent token is out of every attention that reads the encoder (the bias log g = −∞): the scorer's f_t
    with tokens 2 and 5 absent equals the model called by transformers with attention_mask 0 there, which
    hides them from encoder self-attention and cross-attention alike (their embedding then reaches nothing)."""
    model = loaded[family]
    generation = model.summarize(TEXT, SETTINGS)
    scorer = model.scorer(generation)
    keep = np.ones((1, scorer.source_len), dtype=bool)
    keep[0, [2, 5]] = False
    source = torch.tensor([model.before + list(generation.source_ids) + model.after])
    shown = torch.ones_like(source)
    shown[0, len(model.before) + 2] = shown[0, len(model.before) + 5] = 0
    with torch.no_grad():
        logits = model.model(input_ids=source, attention_mask=shown, decoder_input_ids=scorer.decoder_inputs).logits
    rows = logits[0, scorer.first_row:scorer.first_row + scorer.summary_len].log_softmax(-1)
    expected = rows.gather(-1, scorer.targets[0, :, None])[:, 0].numpy()
    assert_close(scorer.score_masks(keep)[0], expected, FLOAT32)
    assert np.abs(scorer.score_masks(~keep | True)[0] - expected).max() > 1e-2       # and the two tokens matter


@pytest.mark.parametrize("family", hf_models.ALL_FAMILIES)
def test_integrated_gradients_against_a_fine_quadrature_and_captum(loaded, family):
    model = loaded[family]
    scorer = model.scorer(model.summarize(TEXT, SETTINGS))
    rows = range(scorer.summary_len)
    plain = METHODS["integrated_gradients"](scorer, n_steps=40, max_steps=40, path_power=1)
    assert_close(plain.scores, reference.per_token_integrated_gradients(scorer, rows, n_steps=40), FLOAT32)
    ours = METHODS["integrated_gradients"](scorer)
    fine = reference.per_token_integrated_gradients(scorer, rows, n_steps=1500)
    assert_close(ours.scores, fine, 1e-2)
    assert ours.checks["all_rows_converged"], ours.checks["refined_because"]


@pytest.mark.parametrize("family", hf_models.FAMILIES)
def test_shapley_owen_lime_and_occlusion_known_answers(loaded, family):
    from attnviz.explain.partition import text_clustering

    model = loaded[family]
    generation = model.summarize(SHORT, SHORT_SETTINGS)
    scorer = model.scorer(generation)
    values = known.coalition_values(scorer)
    exact = known.exact_shapley(values, scorer.source_len)
    kernel = METHODS["kernel_shap"](scorer, n_samples=10000, seed=0).scores     # 100 samples: 40-76 % off
    assert_close(kernel, exact, 0.1)                                             # 10,000: 1-4 % (seeds 0-2)
    owen = known.exact_owen(values, text_clustering(generation.source_tokens), scorer.source_len)
    assert_close(METHODS["partition_shap"](scorer, max_evals=2000).scores, owen, FLOAT32)
    lime = METHODS["lime"](scorer, n_samples=100, seed=1).scores
    direct = np.stack([known.lime_by_ridge(scorer, t, n_samples=100, seed=1) for t in range(scorer.summary_len)])
    assert_close(lime, direct, FLOAT32)
    assert_close(METHODS["occlusion"](scorer).scores, reference.leave_one_out(scorer), FLOAT32)


@pytest.mark.parametrize("name", ["input_x_gradient", "saliency"])
def test_gradient_methods_equal_captum_per_token(loaded, name):
    scorer = loaded["bart"].scorer(loaded["bart"].summarize(TEXT, SETTINGS))
    expected = reference.per_token_gradient(name, scorer, range(scorer.summary_len))
    assert_close(METHODS[name](scorer).scores, expected, FLOAT32)


def test_a_given_summary_is_forced(loaded):
    model = loaded["t5"]
    generation = model.force(TEXT, "the committee met")
    assert generation.summary_tokens == ["the", "committee", "met"] and generation.settings["forced_summary"]
    assert_close(intact(model.scorer(generation)).numpy(), generation.token_logprobs, FLOAT32)


def test_cli_summarize_and_explain_with_a_folder(folders, tmp_path):
    run = subprocess.run([sys.executable, "-m", "attnviz", "explain", "--model", str(folders["marian"]), "--text", TEXT,
                          "--methods", "occlusion,integrated_gradients", "--json", "--beam", "2", "--max-len", "4",
                          "--min-len", "3", "--head-faithfulness", "--random-orders", "2"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["model"] == "tiny-marian"
    assert np.array(document["generation"]["layer_attention"]).shape[:2] == (2, 4)
    assert set(document["methods"]) == {"attention", "occlusion", "integrated_gradients"}
    assert np.array(document["head_faithfulness"]["aopc_comprehensiveness"]).shape == (2, 4)
    loaded = Explanation.loads(run.stdout)
    assert loaded.head_faithfulness.cost["random_orders"] == 2 and loaded.dumps() == Explanation.loads(loaded.dumps()).dumps()
    document["head_faithfulness"]["aopc_sufficiency"] = [[0.0]]
    with pytest.raises(DocumentError, match="head_faithfulness"):
        Explanation.from_json(document)


def _broken(folders, tmp_path, name, change):
    folder = tmp_path / name
    shutil.copytree(folders["bart"], folder)
    change(folder)
    return folder


BROKEN = {
    "pickle weights": (lambda f: ((f / "model.safetensors").rename(f / "pytorch_model.bin")),
                       "pickle files (pytorch_model.bin), which attnviz never loads"),
    "no tokenizer": (lambda f: [(f / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json")],
                     "no tokenizer"),
    "decoder-only": (lambda f: (f / "config.json").write_text(json.dumps({"model_type": "gpt2"})),
                     "model_type \"gpt2\" is not a supported encoder-decoder"),
    "unreadable config": (lambda f: (f / "config.json").write_bytes(b"{\x00\xff not json"), "is not valid JSON"),
    "custom code": (lambda f: (f / "config.json").write_text(json.dumps(
        {**json.loads((f / "config.json").read_text()), "auto_map": {"AutoModel": "x.Y"}})), "custom code (auto_map)"),
    "damaged weights": (lambda f: (f / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}"),
                        "damaged or not a safetensors file"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_folder_attnviz_cannot_load_gets_one_line(folders, tmp_path, case):
    change, message = BROKEN[case]
    folder = _broken(folders, tmp_path, case.replace(" ", "-"), change)
    with pytest.raises(CheckpointError) as caught:
        load_model(folder, device="cpu")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    run = subprocess.run([sys.executable, "-m", "attnviz", "summarize", "--model", str(folder), "--text", TEXT],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and message in run.stderr, run.stderr


def test_encoder_self_attention_by_layer(loaded):
    model = loaded["bart"]
    generation = model.summarize(TEXT, SETTINGS)
    heads = model.encoder_attention(generation, 1)
    s = len(generation.source_tokens)
    assert model.encoder_layers == 2 and heads.shape == (4, s, s)
    assert np.all(heads.sum(-1) < 1) and np.all(heads.sum(-1) > 0)             # <s> and </s> hold the rest
    with pytest.raises(Exception, match="layer 2 does not exist"):
        model.encoder_attention(generation, 2)


def test_the_most_faithful_head_is_found(loaded):
    """Each head's AOPC is that head's attention measured alone; a planted head holding occlusion's ranking
    (by definition the best single token to remove, row by row) is the most comprehensive at one token."""
    from attnviz.faithfulness import faithfulness, head_faithfulness

    model = loaded["bart"]
    generation = model.summarize(TEXT, SETTINGS)
    layers = generation.attention_layers.copy()                          # (L, H, T, S)
    heads = head_faithfulness(model.scorer(generation), layers, random_orders=3, seed=2)
    assert heads.comprehensiveness.shape == heads.sufficiency.shape == layers.shape[:2] == (2, 4)
    alone, _ = faithfulness(model.scorer(generation), {"one": layers[1, 2]}, random_orders=3, seed=2)
    np.testing.assert_allclose(heads.comprehensiveness[1, 2], alone["one"].aopc_comprehensiveness, atol=1e-9)
    np.testing.assert_allclose(heads.sufficiency[1, 2], alone["one"].aopc_sufficiency, atol=1e-9)
    np.testing.assert_allclose(heads.random["comprehensiveness"], alone["random"].aopc_comprehensiveness, atol=1e-9)

    scorer = model.scorer(generation)
    layers[1, 2] = reference.leave_one_out(scorer) + 1e-9 * np.arange(scorer.source_len)[::-1]  # ties: no doubt
    planted = head_faithfulness(scorer, layers, fractions=(0.01,), random_orders=3)
    assert planted.most_faithful() == (1, 2)
    assert planted.comprehensiveness[1, 2] > np.delete(planted.comprehensiveness.ravel(), 1 * 4 + 2).max()


def test_words_group_a_subword_tokenizer_s_pieces(loaded):
    """WordPiece splits "minister" into "minis" "##ter": the generation carries the word of each piece, the
    word view sums attention and scores over them, and removing a word's pieces is scored like any removal."""
    from attnviz.pipeline import new_explanation, run_method

    model = loaded["bart-pieces"]
    generation = model.summarize(TEXT, SETTINGS)
    assert generation.source_tokens[:4] == ["the", "minis", "##ter", "met"]
    assert generation.source_words[:4] == [0, 1, 1, 2] and generation.source_words[-1] == len(TEXT.split()) - 1
    explanation = new_explanation(model, generation, SETTINGS)
    explanation.add(run_method(model.scorer(generation), "occlusion", {}))
    words = explanation.by_words()
    assert words.generation.source_tokens == TEXT.split()
    for name in ("attention", "occlusion"):
        np.testing.assert_allclose(words.scores[name][:, 1], explanation.scores[name][:, 1:3].sum(axis=1), atol=1e-12)
        np.testing.assert_allclose(words.scores[name][:, 2], explanation.scores[name][:, 3], atol=1e-12)
    np.testing.assert_allclose(words.generation.layer_attention.sum(-1), generation.layer_attention.sum(-1), atol=1e-9)


def test_every_layer_and_head_becomes_a_row_like_a_multi_head_model_s(loaded):
    """One attention layout [L, H, T, S] for both families: a Hugging Face model's heads become methods
    "attention layer l head h", each exactly that layer and head's cross-attention, and their mean is attention."""
    from attnviz.pipeline import explain_text

    model = loaded["bart"]
    explanation = explain_text(model, TEXT, "attention", decoding=SETTINGS, heads_as_methods=True, with_faithfulness=False)
    layers = explanation.generation.layer_attention                                  # (2, 4, T, S)
    rows = {m: s for m, s in explanation.scores.items() if m.startswith("attention layer")}
    assert len(rows) == 8 and explanation.attributions["attention"].params == {"layers": 2, "heads": 4}
    np.testing.assert_array_equal(rows["attention layer 1 head 3"], layers[1, 3])
    np.testing.assert_allclose(np.mean(list(rows.values()), axis=0), explanation.scores["attention"], atol=1e-6)
