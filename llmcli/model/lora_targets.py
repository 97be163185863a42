"""Which linear layers of a block LoRA adapts, by name, without torch (the CLI checks
`--lora-targets` before anything heavy is imported).

The names are the block's own module names: the attention's fused q/k/v projection
(`qkv`) and its output projection (`proj`); the MLP's `gate_up` (SwiGLU: llmcli's own,
Llama, Qwen2) or `up` (GPT-2's GELU MLP), and `down`. `attn`, `mlp` and `all` name groups.
The embedding and the output layer are never adapted: a tied output stays the embedding.
"""

from __future__ import annotations

from llmcli.errors import UserError

TARGETS = {  # name -> (the block's part, the linear's name in it)
    "qkv": ("attn", "qkv"),
    "proj": ("attn", "proj"),
    "gate_up": ("mlp", "gate_up"),
    "up": ("mlp", "up"),
    "down": ("mlp", "down"),
}
GROUPS = {"attn": ("qkv", "proj"), "mlp": ("gate_up", "up", "down"), "all": tuple(TARGETS)}
# the attention projections, as litgpt (query and value) and torchtune's recipes (q, v and
# output) adapt by default; q, k and v are one fused matrix here, adapted as a whole
DEFAULT_TARGETS = "qkv,proj"


def split_targets(text: str) -> list[str]:
    """The names of a comma list, each checked (groups kept as given)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TARGETS and name not in GROUPS]
    if unknown or not names:
        what = f"unknown LoRA target {unknown[0]!r}" if unknown else "no LoRA target given"
        raise UserError(f"{what}: --lora-targets takes a comma list of {', '.join([*TARGETS, *GROUPS])} "
                        f"(default {DEFAULT_TARGETS})")
    return names


def model_linears(model_config) -> list[str]:
    """The target names a model of this config has, in block order."""
    mlp = ("gate_up", "down") if model_config.mlp == "swiglu" else ("up", "down")
    return ["qkv", "proj", *mlp]


def resolve_targets(names: list[str], model_config) -> list[str]:
    """The linears `names` choose in a model of this config; a linear it lacks is an error."""
    present = model_linears(model_config)
    chosen = set()
    for name in names:
        if name in GROUPS:
            chosen.update(n for n in GROUPS[name] if n in present)
        elif name not in present:
            raise UserError(f"a {model_config.family} model has no {name!r} layer to adapt: "
                            f"its blocks have {', '.join(present)}")
        else:
            chosen.add(name)
    return [name for name in present if name in chosen]
