"""Model families in llmcli's one model file. Tiny random Llama (grouped-query attention,
tied and untied output), Qwen2 (q/k/v biases) and GPT-2 models built with transformers,
mapped into llmcli's Transformer by llmcli.pretrained.hf_weights, give the same logits and
the same greedy continuations over llmcli's KV cache; exported back, transformers loads
them with the same logits; llmcli's own model is unchanged; what llmcli does not
implement is refused. The transformers tests skip where it is not installed."""

from __future__ import annotations

import json

import pytest
import torch

from llmcli.model.config import ModelConfig
from llmcli.model.generate import GenerationConfig, generate_ids, greedy_batch
from llmcli.model.quantize import int8_kernel_available, quantize_for_generation
from llmcli.model.transformer import Transformer
from llmcli.pretrained.hf_weights import config_from_hf, config_to_hf, weights_from_hf, weights_to_hf

VOCAB = 97
FAMILIES = {  # test id: (model type, config overrides)
    "llama-gqa-tied": ("llama", dict(num_key_value_heads=2, tie_word_embeddings=True, rope_theta=500.0)),
    "llama-mqa-untied": ("llama", dict(num_key_value_heads=1, tie_word_embeddings=False)),
    "qwen2-biases": ("qwen2", dict(num_key_value_heads=2, tie_word_embeddings=False)),
    "gpt2": ("gpt2", {}),
}


pytestmark = pytest.mark.usefixtures("one_thread")


def hf_model(kind: str, vocab: int = VOCAB, **overrides):
    """A tiny random transformers model, every weight (biases and norms too) drawn at random."""
    tf = pytest.importorskip("transformers")
    if kind == "gpt2":
        config = tf.GPT2Config(vocab_size=vocab, n_positions=48, n_embd=64, n_layer=2, n_head=4, bos_token_id=0,
                               eos_token_id=0, **overrides)
        cls = tf.GPT2LMHeadModel
    else:
        config_cls, cls = {"llama": (tf.LlamaConfig, tf.LlamaForCausalLM),
                           "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM)}[kind]
        config = config_cls(vocab_size=vocab, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                            num_attention_heads=4, max_position_embeddings=48, rms_norm_eps=1e-5, **overrides)
    config._attn_implementation = "eager"  # the plainest reference
    torch.manual_seed(0)
    model = cls(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    return model.eval()


def twin(hf):
    """llmcli's model from the transformers model's config.json and state dict."""
    config = config_from_hf(json.loads(hf.config.to_json_string()))  # what config.json holds
    model = Transformer(config)
    model.load_state_dict(weights_from_hf(config, hf.state_dict()))
    return model.eval()


@pytest.fixture(params=list(FAMILIES), scope="module")
def pair(request):
    kind, overrides = FAMILIES[request.param]
    hf = hf_model(kind, **overrides)
    return hf, twin(hf)


def max_logit_difference(hf, model, ids) -> float:
    with torch.no_grad():
        return (hf(ids).logits - model(ids)[0]).abs().max().item()


def hf_greedy(hf, prompts: list[list[int]], steps: int) -> list[list[int]]:
    """transformers' greedy continuation: argmax of its full forward, step by step."""
    ids = torch.tensor(prompts)
    with torch.no_grad():
        for _ in range(steps):
            ids = torch.cat([ids, hf(ids).logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ids[:, len(prompts[0]):].tolist()


def test_logits_match_transformers(pair):
    hf, model = pair
    torch.manual_seed(1)
    assert max_logit_difference(hf, model, torch.randint(0, VOCAB, (3, 24))) < 1e-4


def test_greedy_continuations_match_over_the_kv_cache(pair):
    hf, model = pair
    prompts = [[5, 17, 42, 8, 90], [1, 2, 3, 4, 5], [60, 60, 61, 7, 33]]
    expected = hf_greedy(hf, prompts, 24)
    assert greedy_batch(model, prompts, 24) == expected
    single = GenerationConfig(max_new_tokens=24, temperature=0)
    assert list(generate_ids(model, prompts[0], single)) == expected[0]


def test_config_and_weights_round_trip(pair):
    hf, model = pair
    config = model.config
    assert config_from_hf(config_to_hf(config)) == config
    exported = weights_to_hf(config, model.state_dict())
    theirs = hf.state_dict()
    for name, tensor in exported.items():
        assert torch.equal(tensor, theirs[name]), name


def exported_logits_difference(model, folder) -> float:
    """Export llmcli's model to a folder, load it with from_pretrained, compare logits."""
    tf = pytest.importorskip("transformers")
    from safetensors.torch import save_file

    (folder / "config.json").write_text(json.dumps(config_to_hf(model.config)))
    save_file(weights_to_hf(model.config, model.state_dict()), folder / "model.safetensors",
              metadata={"format": "pt"})
    hf = tf.AutoModelForCausalLM.from_pretrained(folder).eval()
    torch.manual_seed(2)
    return max_logit_difference(hf, model, torch.randint(0, VOCAB, (2, 16)))


def test_exported_families_load_in_transformers_with_the_same_logits(pair, tmp_path):
    assert exported_logits_difference(pair[1], tmp_path) < 1e-4


def test_llmcli_models_export_as_llama(tmp_path):
    """llmcli's own model (tied, no biases) is Llama's layout."""
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=VOCAB, n_layer=2, n_head=2, n_embd=32, context=32, rope_theta=500.0)
    assert config_to_hf(config)["architectures"] == ["LlamaForCausalLM"]
    assert exported_logits_difference(Transformer(config).eval(), tmp_path) < 1e-4


@pytest.mark.skipif(not int8_kernel_available(), reason="no int8 kernel in this torch")
def test_int8_generation_covers_biases_and_an_untied_output():
    model = twin(hf_model("qwen2", num_key_value_heads=2, tie_word_embeddings=False))
    ids = torch.randint(0, VOCAB, (1, 12))
    with torch.no_grad():
        reference = model(ids)[0]
        assert quantize_for_generation(model)
        int8 = model(ids)[0].float()
    assert (model.quantized_output.rows, model.quantized_output.inputs) == model.output.weight.shape
    assert model.blocks[0].attn.qkv.bias is not None
    assert (reference.argmax(-1) == int8.argmax(-1)).float().mean() > 0.8
    assert len(list(generate_ids(model, [1, 2, 3], GenerationConfig(max_new_tokens=8, temperature=0)))) == 8


GPT2_LIKE = dict(qkv_bias=True, bias=True, norm="layer", positions="learned", mlp="gelu")


@pytest.mark.parametrize("variants", [dict(n_kv_head=2, tied_output=False, qkv_bias=True, bias=True), GPT2_LIKE],
                         ids=["gqa-untied-biases", "gpt2-like"])
def test_the_fused_training_loss_reaches_every_weight(variants):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=VOCAB, n_layer=1, n_head=4, n_embd=32, context=16, **variants))
    ids, targets = torch.randint(0, VOCAB, (2, 16)), torch.randint(0, VOCAB, (2, 16))
    with torch.no_grad():
        _, unfused = model(ids, targets)
    _, loss = model(ids, targets)  # the fused loss, with gradients
    loss.backward()
    assert abs(loss.item() - unfused.item()) < 1e-5
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_span_reader_runs_on_a_model_with_learned_positions():
    from llmcli.heads.span import SpanHead
    from llmcli.model.loading import attach_head

    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=VOCAB, n_layer=1, n_head=2, n_embd=32, context=16, **GPT2_LIKE))
    head = SpanHead()
    attach_head(model, head, {"reader": True})
    starts, ends = head.scores(model, torch.tensor([[1, 5, 6, 7, 0]]), torch.tensor([4]))
    assert starts.shape == ends.shape == (1, 5) and torch.isfinite(starts[0, :4]).all()


# llmcli's own model, unchanged by the variants

DEFAULT_NAMES = ["embed.weight", "blocks.0.attn_norm.weight", "blocks.0.attn.qkv.weight",
                 "blocks.0.attn.proj.weight", "blocks.0.mlp_norm.weight", "blocks.0.mlp.gate_up.weight",
                 "blocks.0.mlp.down.weight", "norm.weight"]
# logits[0, -1, :6] of the seeded model below, computed by llmcli before model families existed
REFERENCE_LOGITS = [-0.03762097, 0.20052688, -0.14729293, -0.16215536, 0.08427062, 0.00486064]


def test_default_model_is_unchanged():
    config = ModelConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=32, context=16)
    assert (config.family, config.n_kv_head, config.norm, config.positions, config.mlp) == \
        ("llmcli", 2, "rms", "rope", "swiglu")
    torch.manual_seed(0)
    model = Transformer(config).eval()
    assert list(model.state_dict()) == DEFAULT_NAMES
    with torch.no_grad():
        logits = model(torch.arange(12)[None] % 64)[0]
    assert torch.allclose(logits[0, -1, :6], torch.tensor(REFERENCE_LOGITS), atol=1e-6)


def test_old_model_configs_load_with_todays_model():
    old = {"vocab_size": 64, "n_layer": 1, "n_head": 2, "n_embd": 32, "context": 16, "ffn_hidden": 128,
           "rope_theta": 10000.0, "norm_eps": 1e-5, "dropout": 0.0}
    assert ModelConfig.from_dict(old) == ModelConfig(vocab_size=64, n_layer=1, n_head=2, n_embd=32, context=16)


@pytest.mark.parametrize("fields, message", [
    (dict(n_kv_head=3), "multiple of n_kv_head"),
    (dict(n_kv_head=8), "multiple of n_kv_head"),
    (dict(norm="batch"), "norm must be one of"),
    (dict(positions="alibi"), "positions must be one of"),
    (dict(mlp="relu"), "mlp must be one of"),
    (dict(family="mistral"), "unknown model family"),
    (dict(n_embd=36, n_head=4), "must be even for rotary"),
    (dict(dropout=1.0), "dropout"),
])
def test_impossible_configs_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**{**dict(n_layer=1, n_head=4, n_embd=32), **fields})


def test_learned_positions_allow_odd_head_sizes_and_gelu_defaults_to_4x():
    config = ModelConfig(n_embd=36, n_head=4, positions="learned", norm="layer", mlp="gelu")
    assert config.ffn_hidden == 4 * 36


# the KV cache grows with use

def test_kv_cache_grows_and_matches_the_full_forward():
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=VOCAB, n_layer=1, n_head=4, n_kv_head=2, n_embd=32,
                                    context=600)).eval()
    ids = torch.randint(0, VOCAB, (2, 600))
    with torch.no_grad():
        full = model(ids)[0]
        cache = model.new_cache(2)
        assert cache.capacity == 0
        steps = [model(ids[:, :200], cache=cache)[0]]
        assert cache.capacity == 256
        steps += [model(ids[:, t : t + 1], cache=cache)[0] for t in range(200, 300)]
        assert cache.capacity == 512
        steps.append(model(ids[:, 300:], cache=cache)[0])
        assert cache.capacity == 600  # never more than the context
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)


def test_reorder_after_growth_keeps_the_chosen_rows():
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=VOCAB, n_layer=1, n_head=2, n_embd=32, context=400)).eval()
    ids = torch.randint(0, VOCAB, (2, 300))
    with torch.no_grad():
        cache = model.new_cache(2)
        model(ids[:, :299], cache=cache)
        cache.reorder(torch.tensor([1, 1, 0]))
        last = model(ids[[1, 1, 0], 299:], cache=cache)[0][:, -1]
        full = model(ids[[1, 1, 0]])[0][:, -1]
    assert torch.allclose(last, full, atol=1e-5)


# what llmcli does not implement is refused

LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 97, "hidden_size": 64,
         "intermediate_size": 96, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
         "max_position_embeddings": 48, "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_theta": 1e4}


@pytest.mark.parametrize("change, message", [
    (dict(model_type="mistral", architectures=["MistralForCausalLM"]), "llama, qwen2, gpt2"),
    (dict(architectures=["LlamaForSequenceClassification"]), "causal language models"),
    (dict(rope_scaling={"rope_type": "llama3", "factor": 8.0}), "rotary scaling"),
    (dict(rope_parameters={"rope_type": "yarn", "rope_theta": 1e4}), "rotary scaling"),
    (dict(hidden_act="gelu"), "SiLU"),
    (dict(head_dim=32), "head size"),
    (dict(attention_bias=True, mlp_bias=False), "biases that differ"),
    (dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], use_sliding_window=True), "sliding-window"),
    (dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], layer_types=["sliding_attention"]),
     "sliding-window"),
    (dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], activation_function="relu"), "tanh GELU"),
    (dict(num_hidden_layers=None), "num_hidden_layers"),
])
def test_unsupported_configs_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        config_from_hf({**LLAMA, **change})


def test_theta_from_transformers_5_rope_parameters():
    hf = {k: v for k, v in LLAMA.items() if k != "rope_theta"}
    config = config_from_hf({**hf, "rope_parameters": {"rope_type": "default", "rope_theta": 1e5}})
    assert config.rope_theta == 1e5 and config.n_kv_head == 2 and not config.tied_output


def test_missing_unexpected_and_misshapen_tensors_are_refused():
    config = config_from_hf(LLAMA)
    torch.manual_seed(0)
    weights = weights_to_hf(config, Transformer(config).state_dict())
    assert set(weights_from_hf(config, weights)) == set(Transformer(config).state_dict())
    without_prefix = {name.removeprefix("model."): t for name, t in weights.items()}
    assert set(weights_from_hf(config, without_prefix)) == set(Transformer(config).state_dict())
    with pytest.raises(ValueError, match="no tensor 'layers.0.self_attn.k_proj.weight'"):
        weights_from_hf(config, {k: v for k, v in weights.items() if "k_proj" not in k})
    with pytest.raises(ValueError, match="no place for: layers.0.extra.weight"):
        weights_from_hf(config, {**weights, "model.layers.0.extra.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="has the shape"):
        weights_from_hf(config, {**weights, "model.norm.weight": torch.ones(65)})
