"""Explanation documents are untrusted input: a table of hand-crafted documents (huge or endless numbers, wrong
types, shapes that do not match T summary tokens, S source tokens, G features or L × H heads, blocks that are
partial or name methods the document lacks, deep nesting), each refused on load with one sentence naming the
field in the writer's terms, within a second; and a complete valid document still opens unchanged."""
import copy
import json
import re
import time

import numpy as np
import pytest

from attnviz.agreement import METRICS
from attnviz.errors import DocumentError
from attnviz.explanation import Explanation, ExplanationSettings
from attnviz.features import Features
from attnviz.jsonvalues import MAX_BLOCK_VALUES, describe, parse_json
from attnviz.measures import Counterfactual, Faithfulness, HeadFaithfulness, Stability
from attnviz.types import Attribution, Generation

T, S, L, H, K = 3, 5, 2, 2, 2                 # summary tokens, source tokens, layers, heads, removal fractions
PYTHON_WORDS = re.compile(r"\b(dict|str|int|float|NoneType|bool|tuple|list\)|[A-Z]\w+Error)\b")


def complete_explanation() -> Explanation:
    """Every block filled: layer attention, three methods (integrated gradients with its convergence record),
    agreement, faithfulness with the random baseline, each head's faithfulness, counterfactual attention and
    stability over seeds; the numbers are random, the shapes are those of T, S, L, H, K above."""
    rng = np.random.default_rng(0)
    layers = rng.dirichlet(np.ones(S), size=(L, H, T))
    generation = Generation(source_tokens=["the", "cat", "sat", "down", "."], summary_tokens=["cat", "sat", "."],
                            summary="cat sat.", source_ids=np.arange(S), source_ext_ids=np.arange(S),
                            summary_ids=np.array([1, 2, 4]), attention=layers.mean(axis=(0, 1)),
                            token_logprobs=np.array([-0.5, -1.0, -0.1]), p_gen=np.array([0.2, 0.9, 0.5]),
                            layer_attention=layers, truncated_from=S, score=-0.5,
                            settings={"device": "cpu", "beam_size": 1})
    settings = ExplanationSettings(model="tiny", device="cpu", max_source_tokens=400, decoding={"beam_size": 1},
                                   params={"lime": {"n_samples": 20, "seed": 0}}, random_orders=2, seed=0)
    explanation = Explanation(generation, settings)
    explanation.add(Attribution("attention", generation.source_tokens, generation.summary_tokens,
                                generation.attention, 0.0, 0, 0, head_scores=layers))
    ig_checks = {"convergence_delta": [0.01, 0.02, 0.0], "allowed_delta": [0.05, 0.05, 0.05], "steps_per_row": [32, 64, 32],
                 "rows_refined": 1, "rule": "max(5% of |f(all) − f(none)|, 0.01 nats)", "worst_delta_over_allowed": 0.4,
                 "worst_row": 1, "all_rows_converged": True}
    for name, checks in (("integrated_gradients", ig_checks), ("lime", {"r2": [0.5, 0.6, 0.7]})):
        explanation.add(Attribution(name, generation.source_tokens, generation.summary_tokens, rng.normal(size=(T, S)),
                                    0.5, 40, 32 if name == "integrated_gradients" else 0, params={"seed": 0},
                                    checks=checks))
    explanation.compare()
    fractions = (0.2, 0.5)
    figures = {name: Faithfulness(name, fractions, rng.normal(size=(T, K)), rng.normal(size=(T, K)),
                                  rng.normal(size=(T, K + 1))) for name in explanation.attributions}
    figures["random"] = Faithfulness("random", fractions, rng.normal(size=(T, K)), rng.normal(size=(T, K)),
                                     rng.normal(size=(T, K + 1)), {"comprehensiveness": 0.1, "sufficiency": 0.2},
                                     rng.random(K + 1))
    explanation.set_faithfulness(figures, {"forward_passes": 10, "distinct_masks": 8, "seconds": 0.3,
                                           "random_orders": 2, "seed": 0})
    explanation.head_faithfulness = HeadFaithfulness(fractions, rng.normal(size=(L, H)), rng.normal(size=(L, H)),
                                                     {"comprehensiveness": 0.1, "sufficiency": 0.2,
                                                      "comprehensiveness_std": 0.01, "sufficiency_std": float("nan")},
                                                     {"distinct_masks": 12, "seconds": 0.2})
    explanation.counterfactual = Counterfactual(3, 0, rng.normal(size=T), np.array([True, False, True]),
                                                {v: rng.normal(size=T) for v in ("uniform", "permuted")},
                                                {v: np.array([True, True, False]) for v in ("uniform", "permuted")})
    explanation.stability = {"lime": Stability("lime", (0, 1), rng.normal(size=(T, S)), rng.random((T, S)),
                                               np.array([0.5, np.nan, 0.7]),
                                               {m: rng.random(2) for m in METRICS})}
    return explanation


@pytest.fixture(scope="module")
def valid() -> str:
    return complete_explanation().dumps()


def test_a_complete_document_opens_with_the_same_numbers(valid):
    opened = Explanation.loads(valid)
    again, written = json.loads(opened.dumps()), json.loads(valid)
    for block in ("generation", "methods", "settings", "agreement", "stability", "head_faithfulness"):
        assert again[block] == written[block], block              # (AOPCs, mean changes: means of rounded figures)
    assert Explanation.loads(opened.dumps()).dumps() == opened.dumps()
    assert np.isnan(opened.head_faithfulness.random["sufficiency_std"])      # null → NaN, as written
    with_features = json.loads(valid)
    with_features["features"] = Features("sentences", ((0, 2), (2, 5)), ("the cat", "sat down ."), S).to_json()
    for name, entry in with_features["methods"].items():                     # the methods explain the two sentences
        entry["scores"] = [[0.5, 0.5]] * T
        entry.pop("head_scores", None)
    with_features["stability"]["lime"].update(mean=[[0.1, 0.2]] * T, std=[[0.0, 0.1]] * T)
    with_features["agreement"] = None
    assert Explanation.from_json(with_features).features.labels == ("the cat", "sat down .")


def _set(path: str, value):
    """A change that puts ``value`` at ``path`` (dots between keys, numbers index lists)."""
    def change(document):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            document = document[p]
        document[last] = value
    return change


def _drop(path: str):
    def change(document):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            document = document[p]
        del document[last]
    return change


def _literal(path: str, text: str):
    """A change written into the JSON text itself: ``text`` (a number literal Python's json would choke on or
    read as infinity) at ``path``."""
    return ("literal", path, text)


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = {"deeper": value}
    return value


CASES = [
    # huge integers, thousands of digits, endless numbers
    ("huge id", _set("generation.source_ids.0", 10**30),
     r"generation\.source_ids must be a list of 5 whole numbers from 0 to 2,147,483,647 .*, but holds 1000000000000000000000000000000"),
    ("negative id", _set("generation.summary_ids.1", -1), r"generation\.summary_ids must be .* but holds -1"),
    ("400-digit count", _literal("methods.lime.forward_passes", "9" * 400),
     r"methods\.lime\.forward_passes must be a whole number from 0 to 1,000,000,000,000, not a number 400 digits long"),
    ("5000-digit seed", _literal("settings.seed", "7" * 5000),
     r"settings\.seed must be a whole number from 0 to 4,294,967,295, not a number 5,000 digits long"),
    ("70-bit seed", _set("counterfactual.seed", 2**70), r"counterfactual\.seed must be a whole number from 0 to 4,294,967,295, not 1180591620717411303424"),
    ("1e+400 seconds", _literal("methods.integrated_gradients.seconds", "1e+400"),
     r"methods\.integrated_gradients\.seconds must be a number from 0 up, not 1e\+400"),
    ("NaN in attention", _literal("generation.attention.0.0", "NaN"),
     r"generation\.attention must be numbers \(or null\) in the shape \[3\]\[5\] .*, but holds NaN"),
    ("-Infinity in a log-prob", _literal("counterfactual.original_logprobs.2", "-Infinity"),
     r"counterfactual\.original_logprobs must be a list of 3 numbers .* but holds -Infinity"),
    ("infinite score", _set("generation.score", float("inf")), r"generation\.score must be a number, not Infinity"),
    ("true as a count", _set("methods.lime.backward_passes", True), r"backward_passes must be a whole number .*, not true"),
    ("count as a text", _set("faithfulness.cost.distinct_masks", "lots"),
     r"faithfulness\.cost\.distinct_masks must be a whole number from 0 to .*, not a text"),
    ("seconds of a head's cost as a list", _set("head_faithfulness.cost.seconds", [1]),
     r"head_faithfulness\.cost\.seconds must be a number from 0 up, not a list"),
    # lengths and shapes against T, S, G, L × H
    ("labels and features disagree", ("features", ("sentences", [[0, 2], [2, 5]], ["only one label"])),
     r"features\.labels must hold 2 texts \(one per feature in bounds\), not 1"),
    ("features beyond the source", ("features", ("sentences", [[0, 2], [2, 9]], ["a", "b"])),
     r"features\.bounds must be a list of whole numbers from 0 to 5|features\.bounds must be whole numbers from 0 to 5"),
    ("short scores", _set("methods.lime.scores", [[0.1] * S] * (T - 1)),
     r"methods\.lime\.scores must be numbers \(or null\) in the shape \[3\]\[5\] .*, not \[2\]\[5\]"),
    ("ragged attention", _set("generation.attention.1", [0.1]), r"generation\.attention must be .*; its lists differ in length"),
    ("heads of another model", _set("head_faithfulness.aopc_sufficiency", [[0.0]]),
     r"head_faithfulness\.aopc_sufficiency must be numbers in the shape \[2\]\[2\] \(layers × heads\), not \[1\]\[1\]"),
    ("head scores of another model", _set("methods.attention.head_scores", [[[[0.2] * S] * T]]),
     r"methods\.attention\.head_scores has 1 layers × 1 heads; the attention has 2 × 2"),
    ("word list with a gap", _set("generation.source_words", [0, 0, 2, 3, 3]),
     r"generation\.source_words must count the words from 0"),
    ("flags as numbers", _set("counterfactual.variants.uniform.same_greedy", [1, 0, 1]),
     r"counterfactual\.variants\.uniform\.same_greedy must be a list of 3 true/false values .* but holds 1"),
    ("no summary tokens", _set("generation.summary_tokens", []), r"generation\.summary_tokens must hold at least one token"),
    # the attention method, any method, blocks naming methods the document lacks
    ("no attention", _drop("methods.attention"), r"methods must hold 'attention'"),
    ("no methods at all", _set("methods", {}), r"methods must hold 'attention'"),
    ("methods as a list", _set("methods", ["attention"]), r"methods must be an object \(\{…\}\), not a list"),
    ("agreement names a ghost", _set("agreement.with_attention_per_token.ghost", {}),
     r"agreement\.with_attention_per_token names 'ghost', which is not one of the document's methods"),
    ("agreement of other methods", _set("agreement.methods", ["attention", "lime"]),
     r"agreement\.methods must list the document's methods in their order"),
    ("faithfulness of a ghost", _set("faithfulness.methods.ghost", {}),
     r"faithfulness\.methods names 'ghost', which is not one of the document's methods"),
    ("stability of a ghost", _set("stability.ghost", {}), r"stability names 'ghost', which is not one of the document's methods"),
    # partial blocks
    ("checks without the worst row", _drop("methods.integrated_gradients.checks.worst_row"),
     r"methods\.integrated_gradients\.checks\.worst_row is missing"),
    ("checks with steps as a text", _set("methods.integrated_gradients.checks.steps_per_row", "many"),
     r"methods\.integrated_gradients\.checks\.steps_per_row must be a list of 3 whole numbers .*, not a text"),
    ("checks with a worst row outside the summary", _set("methods.integrated_gradients.checks.worst_row", 3),
     r"worst_row must be a whole number from 0 to 2, not 3"),
    ("no random baseline", _drop("faithfulness.methods.random"), r"faithfulness\.methods\.random is missing"),
    ("baseline without sufficiency", _drop("faithfulness.methods.random.sufficiency"),
     r"faithfulness\.methods\.random\.sufficiency is missing"),
    ("baseline spread as texts", _set("faithfulness.methods.random.aopc_std.comprehensiveness", "wide"),
     r"faithfulness\.methods\.random\.aopc_std\.comprehensiveness must be a number from 0 up, not a text"),
    ("fractions above 1", _set("faithfulness.methods.random.fractions", [0.5, 2]),
     r"faithfulness\.methods\.random\.fractions must be 1 to 100 shares of the source"),
    ("head baseline without its spread", _drop("head_faithfulness.random.comprehensiveness_std"),
     r"head_faithfulness\.random\.comprehensiveness_std is missing"),
    ("head baseline as a list", _set("head_faithfulness.random.comprehensiveness", []),
     r"head_faithfulness\.random\.comprehensiveness must be a number or null, not an empty list"),
    ("stability without a metric", _drop("stability.lime.with_attention.spearman_rho"),
     r"stability\.lime\.with_attention\.spearman_rho is missing"),
    ("stability over seeds that are not whole", _set("stability.lime.seeds", [0.5, 1]),
     r"stability\.lime\.seeds must be a list of whole numbers .*, but holds 0\.5"),
    ("counterfactual variant as a number", _set("counterfactual.variants.uniform", 3),
     r"counterfactual\.variants\.uniform must be an object \(\{…\}\), not 3"),
    # wrong types, deep nesting, sizes
    ("tokens as a text", _set("generation.source_tokens", "the cat"),
     r"generation\.source_tokens must be a list of texts, not a text"),
    ("a token that is a number", _set("generation.summary_tokens.1", 7),
     r"generation\.summary_tokens must be a list of texts, but holds 7"),
    ("version true", _set("format_version", True), r"layout version true"),
    ("device as an object", _set("settings.device", {"x": 1}), r"settings\.device must be a text, not an object"),
    ("generation's device as a list", _set("generation.settings.device", ["gpu"]),
     r"generation\.settings\.device must be a text, not a list"),
    ("params of a method as a number", _set("settings.params.lime", 5),
     r"settings\.params\.lime must be an object \(\{…\}\), not 5"),
    ("random orders of 0", _set("settings.random_orders", 0), r"settings\.random_orders must be a whole number from 1 to 1,000, not 0"),
    ("deeply nested params", _set("methods.lime.params", _nested(50)), r"methods\.lime\.params nests deeper than 8 levels"),
    ("a check block of a million values", _set("methods.lime.checks", {"r2": [0.0] * (MAX_BLOCK_VALUES + 1)}),
     r"methods\.lime\.checks holds more than 100,000 values"),
    ("an endless number inside the checks", _literal("methods.lime.checks.r2.0", "1e999"),
     r"methods\.lime\.checks\.r2\[0\] must be a number, a text, true/false, null, a list or an object, not 1e999"),
    ("a method name 500 characters long", ("rename", "lime", "x" * 500),
     r"methods: a method name must be a text of 1 to 200 characters, not a text 500 characters long"),
    ("versions as numbers", _set("versions.torch", 2), r"versions\.torch must be a text, not 2"),
]


def _crafted(valid: str, change) -> str:
    """The valid document with ``change`` applied, as JSON text."""
    document = json.loads(valid)
    if isinstance(change, tuple) and change[0] == "literal":
        _set(change[1], "@@LITERAL@@")(document)
        return json.dumps(document).replace('"@@LITERAL@@"', change[2])
    if isinstance(change, tuple) and change[0] == "features":
        kind, bounds, labels = change[1]
        document["features"] = {"kind": kind, "bounds": bounds, "labels": labels, "source_len": S}
    elif isinstance(change, tuple) and change[0] == "rename":
        document["methods"][change[2]] = document["methods"].pop(change[1])
    else:
        change(document)
    return json.dumps(document)


@pytest.mark.parametrize("name, change, message", CASES, ids=[c[0] for c in CASES])
def test_a_crafted_document_is_refused_with_one_sentence_naming_the_field(valid, name, change, message):
    raw = _crafted(valid, change)
    start = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        Explanation.loads(raw.encode())
    assert time.perf_counter() - start < 1.0, name
    text = str(caught.value)
    assert re.search(message, text), text
    assert "\n" not in text and len(text) < 400
    assert not PYTHON_WORDS.search(text), text


def test_values_that_python_builds_but_json_cannot_hold_are_refused_too(valid):
    """from_json on Python values (not parsed text): infinities and huge integers are named the same way."""
    document = json.loads(valid)
    document["faithfulness"]["methods"]["lime"]["deletion"][0][0] = float("inf")
    with pytest.raises(DocumentError, match=r"faithfulness\.methods\.lime\.deletion must be .* but holds infinity"):
        Explanation.from_json(document)
    document = json.loads(valid)
    document["generation"]["source_token_count"] = 10**5000
    with pytest.raises(DocumentError, match=r"source_token_count must be a whole number .*, not a number about 5,00\d digits"):
        Explanation.from_json(document)


def test_numbers_json_cannot_use_are_kept_by_name_not_read():
    values = parse_json('{"a": ' + "1" * 50 + ', "b": 1e400, "c": NaN, "d": -Infinity, "e": 12, "f": 0.5}')
    assert [describe(values[k]) for k in "abcd"] == ["a number 50 digits long", "1e400", "NaN", "-Infinity"]
    assert (values["e"], values["f"]) == (12, 0.5)
