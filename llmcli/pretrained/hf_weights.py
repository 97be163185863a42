"""Hugging Face checkpoints and llmcli's model: their configs and their weights, both ways.

    config_from_hf(config.json, a dict)    -> ModelConfig     Llama, Qwen2 and GPT-2 causal LMs
    weights_from_hf(ModelConfig, tensors)  -> llmcli's state dict
    config_to_hf(ModelConfig)              -> a config.json dict (the tokenizer's ids left to the caller)
    weights_to_hf(ModelConfig, state dict) -> tensors named as in model.safetensors

One table (`weight_table`) names, for every llmcli tensor, the Hugging Face tensors it is
made of, in row order: both directions read it. Llama and Qwen2 share their names (Qwen2
adds q/k/v biases); llmcli's q, k and v rows are Llama's q_proj, k_proj and v_proj stacked,
already in the rotate-half layout, and its gate_up is gate_proj over up_proj. GPT-2 stores
its linears as Conv1D, (in, out): they are transposed. What llmcli's model does not
implement (rope scaling, sliding windows, other activations or head sizes) is refused with
a ValueError, never imported approximately. No torch at import time.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from llmcli.model.config import ModelConfig

ARCHITECTURES = {"LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2", "GPT2LMHeadModel": "gpt2"}
SUPPORTED = tuple(ARCHITECTURES.values())
PREFIXES = ("model.", "transformer.")  # a causal LM's body, around the base model's names
IGNORED = re.compile(r"(.*rotary_emb\.inv_freq|h\.\d+\.attn\.(bias|masked_bias))$")  # buffers, not weights


def config_from_hf(hf_config: dict) -> ModelConfig:
    """The ModelConfig of a Hugging Face config.json (as a dict)."""
    architectures = hf_config.get("architectures") or []
    model_type = hf_config.get("model_type") or next((ARCHITECTURES.get(a) for a in architectures), None)
    if model_type not in SUPPORTED:
        raise ValueError(f"model type {model_type!r} is not supported: llmcli imports "
                         f"{', '.join(SUPPORTED)} ({', '.join(ARCHITECTURES)})")
    others = [a for a in architectures if ARCHITECTURES.get(a) != model_type]
    if others:
        raise ValueError(f"architecture {others[0]} is not supported: llmcli imports causal language "
                         f"models ({', '.join(ARCHITECTURES)})")
    if model_type == "gpt2":
        return _gpt2_config(hf_config)
    return _llama_config(hf_config, model_type)


def _need(hf: dict, key: str):
    if hf.get(key) is None:
        raise ValueError(f"the config has no {key!r}")
    return hf[key]


def _refuse(hf: dict, key: str, allowed, what: str) -> None:
    if key in hf and hf[key] not in allowed:
        raise ValueError(f"{what} ({key}={hf[key]!r}) is not supported by llmcli's model")


def _rope_theta(hf: dict) -> float:
    """The rotary base: a top-level rope_theta (transformers 4) or in rope_parameters (5);
    scaled rotary embeddings (linear, dynamic, yarn, llama3, ...) are refused."""
    for key in ("rope_scaling", "rope_parameters"):
        params = hf.get(key) or {}
        kind = params.get("rope_type", params.get("type", "default"))
        if kind != "default":
            raise ValueError(f"rotary scaling ({key} of type {kind!r}) is not supported by llmcli's model")
    return float(hf.get("rope_theta") or (hf.get("rope_parameters") or {}).get("rope_theta") or 10000.0)


def _llama_config(hf: dict, family: str) -> ModelConfig:
    n_embd, n_head = _need(hf, "hidden_size"), _need(hf, "num_attention_heads")
    _refuse(hf, "hidden_act", ("silu",), "an MLP activation other than SiLU")
    _refuse(hf, "head_dim", (None, n_embd // n_head), "a head size other than hidden_size / num_attention_heads")
    _refuse(hf, "use_sliding_window", (False, None), "sliding-window attention")
    if any(kind != "full_attention" for kind in hf.get("layer_types") or []):
        raise ValueError("sliding-window attention (layer_types) is not supported by llmcli's model")
    if family == "qwen2":  # Qwen2: biases on q, k and v only
        qkv_bias, bias = True, False
    else:
        qkv_bias = bias = bool(hf.get("attention_bias", False))
        _refuse(hf, "mlp_bias", (qkv_bias,), "attention and MLP biases that differ")
    return ModelConfig(
        family=family, vocab_size=_need(hf, "vocab_size"), n_layer=_need(hf, "num_hidden_layers"),
        n_head=n_head, n_embd=n_embd, context=_need(hf, "max_position_embeddings"),
        ffn_hidden=_need(hf, "intermediate_size"), rope_theta=_rope_theta(hf),
        norm_eps=float(hf.get("rms_norm_eps", 1e-6)), n_kv_head=hf.get("num_key_value_heads") or n_head,
        qkv_bias=qkv_bias, bias=bias, tied_output=bool(hf.get("tie_word_embeddings", False)),
    )


def _gpt2_config(hf: dict) -> ModelConfig:
    _refuse(hf, "activation_function", ("gelu_new", "gelu_pytorch_tanh"), "an activation other than tanh GELU")
    _refuse(hf, "scale_attn_weights", (True,), "unscaled attention")
    _refuse(hf, "scale_attn_by_inverse_layer_idx", (False,), "attention scaled by layer")
    _refuse(hf, "add_cross_attention", (False,), "cross-attention")
    n_embd = _need(hf, "n_embd")
    return ModelConfig(
        family="gpt2", vocab_size=_need(hf, "vocab_size"), n_layer=_need(hf, "n_layer"),
        n_head=_need(hf, "n_head"), n_embd=n_embd, context=_need(hf, "n_positions"),
        ffn_hidden=hf.get("n_inner") or 4 * n_embd, norm_eps=float(hf.get("layer_norm_epsilon", 1e-5)),
        qkv_bias=True, bias=True, norm="layer", positions="learned", mlp="gelu",
        tied_output=bool(hf.get("tie_word_embeddings", True)),
    )


class Entry(NamedTuple):
    ours: str  # llmcli's name
    theirs: tuple[str, ...]  # the Hugging Face tensors it is made of, stacked in this order
    sizes: tuple[int, ...] | None = None  # their rows, where there are several
    transposed: bool = False  # GPT-2's Conv1D stores (in, out)


def _linear(ours: str, theirs: tuple[str, ...], bias: bool, sizes=None, transposed=False) -> list[Entry]:
    entries = [Entry(f"{ours}.weight", tuple(f"{t}.weight" for t in theirs), sizes, transposed)]
    if bias:
        entries.append(Entry(f"{ours}.bias", tuple(f"{t}.bias" for t in theirs), sizes))
    return entries


def _llama_table(c: ModelConfig) -> list[Entry]:
    kv = c.n_kv_head * c.head_dim
    table = [Entry("embed.weight", ("embed_tokens.weight",))]
    for i in range(c.n_layer):
        ours, theirs = f"blocks.{i}.", f"layers.{i}."
        attn, mlp = theirs + "self_attn.", theirs + "mlp."
        table.append(Entry(ours + "attn_norm.weight", (theirs + "input_layernorm.weight",)))
        table += _linear(ours + "attn.qkv", (attn + "q_proj", attn + "k_proj", attn + "v_proj"), c.qkv_bias,
                         (c.n_embd, kv, kv))
        table += _linear(ours + "attn.proj", (attn + "o_proj",), c.bias)
        table.append(Entry(ours + "mlp_norm.weight", (theirs + "post_attention_layernorm.weight",)))
        table += _linear(ours + "mlp.gate_up", (mlp + "gate_proj", mlp + "up_proj"), c.bias,
                         (c.ffn_hidden, c.ffn_hidden))
        table += _linear(ours + "mlp.down", (mlp + "down_proj",), c.bias)
    return table + [Entry("norm.weight", ("norm.weight",))]


def _gpt2_table(c: ModelConfig) -> list[Entry]:
    table = [Entry("embed.weight", ("wte.weight",)), Entry("pos_embed.weight", ("wpe.weight",))]
    for i in range(c.n_layer):
        ours, theirs = f"blocks.{i}.", f"h.{i}."
        table += _linear(ours + "attn_norm", (theirs + "ln_1",), True)
        table += _linear(ours + "attn.qkv", (theirs + "attn.c_attn",), True, transposed=True)
        table += _linear(ours + "attn.proj", (theirs + "attn.c_proj",), True, transposed=True)
        table += _linear(ours + "mlp_norm", (theirs + "ln_2",), True)
        table += _linear(ours + "mlp.up", (theirs + "mlp.c_fc",), True, transposed=True)
        table += _linear(ours + "mlp.down", (theirs + "mlp.c_proj",), True, transposed=True)
    return table + _linear("norm", ("ln_f",), True)


def weight_table(config: ModelConfig) -> list[Entry]:
    """Every tensor of a model of this config and the Hugging Face tensors it comes from
    (their names without the `model.`/`transformer.` prefix)."""
    gpt2 = config.positions == "learned"
    table = _gpt2_table(config) if gpt2 else _llama_table(config)
    if not config.tied_output:
        table.append(Entry("output.weight", ("lm_head.weight",)))
    return table


def _model_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor in llmcli's state dict, from a model on the meta device."""
    import torch

    from llmcli.model.transformer import Transformer

    with torch.device("meta"):
        return {name: tuple(t.shape) for name, t in Transformer(config).state_dict().items()}


def _checked_table(config: ModelConfig) -> tuple[list[Entry], dict]:
    table, shapes = weight_table(config), _model_shapes(config)
    if {e.ours for e in table} != set(shapes):
        raise ValueError(f"a model with these variants ({describe(config)}) has no Hugging Face layout")
    return table, shapes


def describe(config: ModelConfig) -> str:
    return (f"norm {config.norm}, positions {config.positions}, mlp {config.mlp}, "
            f"qkv_bias {config.qkv_bias}, bias {config.bias}")


def _unprefixed(name: str) -> str:
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def weights_from_hf(model_config: ModelConfig, tensors: dict) -> dict:
    """llmcli's state dict (float32) from a Hugging Face state dict, its names with or
    without the `model.`/`transformer.` prefix. A missing, misshapen or unexpected
    tensor is a ValueError."""
    import torch

    table, shapes = _checked_table(model_config)
    tensors = {_unprefixed(name): t for name, t in tensors.items()}
    out, used = {}, set()
    for entry in table:
        missing = [name for name in entry.theirs if name not in tensors]
        if missing:
            raise ValueError(f"the checkpoint has no tensor {missing[0]!r}, which a {model_config.family} "
                             f"model of {model_config.n_layer} layers needs")
        parts = [tensors[name].t() if entry.transposed else tensors[name] for name in entry.theirs]
        tensor = torch.cat(parts) if len(parts) > 1 else parts[0]
        if tuple(tensor.shape) != shapes[entry.ours]:
            raise ValueError(f"{' + '.join(entry.theirs)} has the shape {tuple(tensor.shape)}, but the config "
                             f"gives {entry.ours} the shape {shapes[entry.ours]}")
        out[entry.ours] = tensor.to(torch.float32).contiguous()
        used.update(entry.theirs)
    if model_config.tied_output:
        used.add("lm_head.weight")  # a copy of the embedding, where a checkpoint keeps one
    extra = sorted(name for name in tensors if name not in used and not IGNORED.match(name))
    if extra:
        raise ValueError(f"the checkpoint has {len(extra)} tensor(s) that a {model_config.family} model "
                         f"has no place for: {', '.join(extra[:3])}{', ...' if len(extra) > 3 else ''}")
    return out


def weights_to_hf(model_config: ModelConfig, state_dict: dict) -> dict:
    """The tensors of a Hugging Face checkpoint (names as in its model.safetensors) from
    llmcli's state dict. A tied output layer is left out, as transformers saves it."""
    table, _ = _checked_table(model_config)
    prefix = "transformer." if model_config.positions == "learned" else "model."
    out = {}
    for entry in table:
        tensor = state_dict[entry.ours]
        parts = tensor.split(list(entry.sizes)) if entry.sizes else [tensor]
        for name, part in zip(entry.theirs, parts):
            part = part.t() if entry.transposed else part
            out[name if name == "lm_head.weight" else prefix + name] = part.contiguous()
    return out


def config_to_hf(model_config: ModelConfig) -> dict:
    """A config.json for transformers: GPT2LMHeadModel for GPT-2's variants, Qwen2ForCausalLM
    for q/k/v biases alone, LlamaForCausalLM otherwise (llmcli's own model is Llama's
    layout). The caller adds the tokenizer's bos, eos and pad ids."""
    c = model_config
    if c.positions == "learned":
        if (c.norm, c.mlp, c.qkv_bias, c.bias) != ("layer", "gelu", True, True):
            raise ValueError(f"learned positions without GPT-2's other variants ({describe(c)}) have no "
                             "Hugging Face layout")
        return {
            "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": c.vocab_size,
            "n_positions": c.context, "n_embd": c.n_embd, "n_layer": c.n_layer, "n_head": c.n_head,
            "n_inner": c.ffn_hidden, "activation_function": "gelu_new", "layer_norm_epsilon": c.norm_eps,
            "resid_pdrop": c.dropout, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
            "tie_word_embeddings": c.tied_output,
        }
    if (c.norm, c.mlp) != ("rms", "swiglu") or (c.bias and not c.qkv_bias):
        raise ValueError(f"rotary positions with these variants ({describe(c)}) have no Hugging Face layout")
    qwen2 = c.qkv_bias and not c.bias
    out = {
        "architectures": ["Qwen2ForCausalLM" if qwen2 else "LlamaForCausalLM"],
        "model_type": "qwen2" if qwen2 else "llama", "vocab_size": c.vocab_size, "hidden_size": c.n_embd,
        "intermediate_size": c.ffn_hidden, "num_hidden_layers": c.n_layer, "num_attention_heads": c.n_head,
        "num_key_value_heads": c.n_kv_head, "head_dim": c.head_dim, "hidden_act": "silu",
        "max_position_embeddings": c.context, "rms_norm_eps": c.norm_eps, "rope_theta": c.rope_theta,
        "rope_scaling": None, "attention_dropout": 0.0, "tie_word_embeddings": c.tied_output,
    }
    if not qwen2:
        out.update(attention_bias=c.bias, mlp_bias=c.bias)
    return out
