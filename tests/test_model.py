import pytest
import torch

from attnviz.errors import InputError
from attnviz.models.base import pick_device
from attnviz.models.pointer.config import ATTENTION_KINDS, ModelConfig
from tests.conftest import make_model

VARIANTS = [(kind, cov) for kind in ATTENTION_KINDS for cov in (False, True)]


def _padded_batch(vocab_size: int):
    torch.manual_seed(1)
    ids = torch.randint(4, vocab_size, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.bool)
    mask[1, 6:] = False
    mask[2, 3:] = False
    ids = ids.masked_fill(~mask, 0)
    ext = ids.clone()
    ext[0, 2] = vocab_size          # an OOV word in the extended vocabulary
    targets = torch.randint(4, vocab_size, (3, 5))
    targets[0, 1] = vocab_size      # a target that only the pointer can produce
    return ids, ext, mask, targets


@pytest.mark.parametrize("kind,coverage", VARIANTS)
def test_attention_is_zero_on_padding_and_leaves_the_rest_to_the_null_slot(vocab, kind, coverage):
    model = make_model(vocab, attention=kind, coverage=coverage)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    out = model(ids, ext, mask, targets)
    assert out.attention.shape == (3, 5, 9)
    rows = out.attention.sum(-1)
    assert torch.all((rows > 0.01) & (rows < 1))                         # the null slot has the rest
    assert torch.all(out.attention[~mask.unsqueeze(1).expand_as(out.attention)] == 0)
    if kind == "multihead":
        assert out.heads.shape == (3, 4, 5, 9)
        assert torch.all(out.heads.sum(-1) < 1)
        torch.testing.assert_close(out.heads.mean(1), out.attention)
    else:
        assert out.heads is None
    assert torch.all((out.p_gen > 0) & (out.p_gen < 1))
    assert torch.isfinite(out.target_logprobs).all()


@pytest.mark.parametrize("kind,coverage", VARIANTS)
def test_absent_tokens_get_no_attention_and_their_word_does_not_matter(vocab, kind, coverage):
    model = make_model(vocab, attention=kind, coverage=coverage)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    presence = torch.ones(3, 9)
    presence[:, 1] = 0
    presence[0, 2] = 0                                                    # the OOV word of row 0
    out = model(ids, ext, mask, targets, presence=presence)
    assert torch.all(out.attention[:, :, 1] == 0) and torch.all(out.attention[0, :, 2] == 0)
    other_ids, other_ext = ids.clone(), ext.clone()
    other_ids[:, 1] = other_ext[:, 1] = 7
    other = model(other_ids, other_ext, mask, targets, presence=presence)
    torch.testing.assert_close(out.target_logprobs, other.target_logprobs, rtol=0, atol=0)
    torch.testing.assert_close(model(ids, ext, mask, targets, presence=torch.ones(3, 9)).target_logprobs,
                               model(ids, ext, mask, targets).target_logprobs, rtol=0, atol=0)


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_oov_target_with_every_occurrence_absent_scores_through_unk(vocab, kind):
    """The pointer-only word of row 0 (target 1) is finite when its one source occurrence is absent: it
    is written as <unk> by the vocabulary side, log(generate share · P(<unk>))."""
    model = make_model(vocab, attention=kind)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    presence = torch.ones(3, 9)
    presence[0, 2] = 0
    out = model(ids, ext, mask, targets, presence=presence)
    enc, state = model.encode(ids, ext, mask, presence)
    step = model.step(torch.full((3,), 2), state, enc)
    step = model.step(targets[:, 0], step.state, enc)
    unk = step.log_probs[0, 1]                                            # generate share · P(<unk>)
    torch.testing.assert_close(out.target_logprobs[0, 1], unk)
    torch.testing.assert_close(step.log_probs[0, len(vocab)], unk)
    assert -20 < float(out.target_logprobs[0, 1]) < 0


@pytest.mark.parametrize("kind", ATTENTION_KINDS)
def test_presence_gradients_are_finite_everywhere_even_with_every_token_absent(vocab, kind):
    model = make_model(vocab, attention=kind, coverage=True)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    for value in (0.0, 0.3, 1.0):
        presence = torch.full((3, 9), value, requires_grad=True)
        out = model(ids, ext, mask, targets, presence=presence)
        assert torch.isfinite(out.target_logprobs).all()
        out.target_logprobs.sum().backward()
        assert torch.isfinite(presence.grad).all() and presence.grad[mask].abs().sum() > 0
        assert torch.all(presence.grad[~mask] == 0)


@pytest.mark.parametrize("kind,coverage", VARIANTS)
def test_step_distribution_is_normalised_and_matches_teacher_forcing(vocab, kind, coverage):
    """``step``'s extended distribution agrees with the forced target log-probs; it is a distribution once
    the <unk> share that every OOV entry also counts is taken off those entries."""
    model = make_model(vocab, attention=kind, coverage=coverage)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    forced = model(ids, ext, mask, targets)
    enc, state = model.encode(ids, ext, mask)
    prev = torch.full((3,), 2)
    v = len(vocab)
    for t in range(targets.shape[1]):
        out = model.step(prev, state, enc)
        probs = out.log_probs.exp()
        total = probs[:, :v].sum(-1) + (probs[:, v:] - probs[:, 1:2]).sum(-1)
        torch.testing.assert_close(total, torch.ones(3))
        stepped = out.log_probs.gather(1, targets[:, t:t + 1]).squeeze(1)
        torch.testing.assert_close(stepped, forced.target_logprobs[:, t], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out.attention, forced.attention[:, t])
        prev, state = targets[:, t], out.state


def test_embedded_input_gives_the_same_result_as_ids(vocab):
    model = make_model(vocab)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    a = model(ids, ext, mask, targets)
    b = model(ids, ext, mask, targets, embedded=model.source_embedding(ids))
    torch.testing.assert_close(a.target_logprobs, b.target_logprobs)


def test_source_embedding_hook_fires_only_for_the_source(vocab):
    model = make_model(vocab)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    calls = []
    model.source_embedding.register_forward_hook(lambda m, i, o: calls.append(o.shape))
    model(ids, ext, mask, targets)
    assert calls == [torch.Size([3, 9, 16])]
    assert model.target_embedding.weight is model.source_embedding.weight


def test_config_rejects_impossible_settings():
    with pytest.raises(ValueError, match="attention must be one of"):
        ModelConfig(vocab_size=10, attention="bogus")
    with pytest.raises(ValueError, match="divisible"):
        ModelConfig(vocab_size=10, hidden_dim=10, num_heads=3, attention="multihead")
    with pytest.raises(ValueError, match="unknown config keys"):
        ModelConfig.from_dict({"vocab_size": 10, "colour": "red"})


@pytest.mark.parametrize("gpu", [False, True], ids=["without a GPU", "with a GPU"])
def test_pick_device_both_ways(monkeypatch, gpu):
    """The device choice on either kind of machine, the GPU's presence faked (no CUDA call is made)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if gpu else "cpu")
    with pytest.raises(InputError, match="valid choices"):
        pick_device("tpu")
    if gpu:
        assert pick_device("cuda").type == "cuda"
    else:
        with pytest.raises(InputError, match="no GPU"):
            pick_device("cuda")


def test_bridge_activation_is_configurable_and_old_configs_mean_relu(vocab):
    assert ModelConfig(vocab_size=50).bridge_activation == "tanh"
    assert ModelConfig.from_dict({"vocab_size": 50}).bridge_activation == "relu"      # written before the field
    assert ModelConfig.from_dict({"vocab_size": 50, "bridge_activation": "tanh"}).bridge_activation == "tanh"
    with pytest.raises(ValueError, match="bridge_activation must be one of"):
        ModelConfig(vocab_size=50, bridge_activation="gelu")
    ids, ext, mask, targets = _padded_batch(len(vocab))
    start = {}
    for kind in ("tanh", "relu"):
        model = make_model(vocab, bridge_activation=kind)
        _, state = model.encode(ids, ext, mask)
        start[kind] = state.h
    assert torch.all(start["relu"] >= 0) and torch.any(start["tanh"] < 0)


@pytest.mark.parametrize("coverage", [False, True])
def test_additive_scores_are_bahdanaus_tanh_form_in_value_and_gradient(coverage):
    """The additive scores are computed through a sigmoid for speed; they must be v · tanh(W_m m + W_q q +
    w_c c) itself, including where tanh saturates, and so must their gradients."""
    from attnviz.models.pointer.attention import AdditiveAttention

    torch.manual_seed(3)
    attention = AdditiveAttention(8, 12, coverage)
    memory = (torch.randn(2, 7, 12) * 4).requires_grad_()          # large inputs reach the saturated tails
    query = torch.randn(2, 8, requires_grad=True)
    cover = torch.rand(2, 7) * 3 if coverage else None
    keys = attention.prepare(memory)
    feature = keys + attention.query_proj(query).unsqueeze(1)
    if coverage:
        feature = feature + attention.coverage_proj(cover.unsqueeze(-1))
    expected = attention.v(torch.tanh(feature)).squeeze(-1)
    assert feature.abs().max() > 5                                   # some tanh inputs are saturated
    got = attention.scores(query, keys, cover)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    weights = torch.randn(2, 7)
    grads = torch.autograd.grad((got * weights).sum(), (memory, query), retain_graph=True)
    expected_grads = torch.autograd.grad((expected * weights).sum(), (memory, query))
    for g, e in zip(grads, expected_grads):
        torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("pointer", [True, False])
def test_teacher_forcing_scores_alike_with_and_without_gradients(vocab, pointer):
    """Without gradients the vocabulary logits of all steps come from one product, with them step by step;
    both give the same log-probs, an OOV target included."""
    model = make_model(vocab, pointer=pointer)
    ids, ext, mask, targets = _padded_batch(len(vocab))
    with torch.no_grad():
        at_once = model(ids, ext, mask, targets).target_logprobs
    by_step = model(ids, ext, mask, targets).target_logprobs
    assert by_step.requires_grad and not at_once.requires_grad
    torch.testing.assert_close(at_once, by_step.detach(), atol=1e-6, rtol=1e-6)
