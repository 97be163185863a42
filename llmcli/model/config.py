"""The model's shape: the config the Transformer is built from, and the named presets.

The variant fields choose a model family's parts; their defaults are llmcli's own model
(RMSNorm, rotary positions, SwiGLU, no biases, the output tied to the embedding):

    family       llama     qwen2     gpt2
    n_kv_head    < n_head (grouped-query attention) where the model has it
    qkv_bias     False     True      True
    bias         False     False     True     (attention output and MLP linears)
    norm         rms       rms       layer    (LayerNorm with a bias)
    positions    rope      rope      learned  (a table of `context` rows)
    mlp          swiglu    swiglu    gelu     (tanh-approximated GELU)
    tied_output  either    either    True

`causal` (True for every family above) chooses the attention mask: False makes the blocks
a bidirectional encoder, trained by masked language modelling (`llmcli train --objective
mlm`), in which every token sees the whole sequence; such a model does not predict the next
token and cannot generate. A config.json written before the field existed reads as causal.

No torch here: listing commands read a model's config without paying for it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from llmcli.errors import UserError

FAMILIES = ("llmcli", "llama", "qwen2", "gpt2")
CHOICES = {"norm": ("rms", "layer"), "positions": ("rope", "learned"), "mlp": ("swiglu", "gelu")}


@dataclass
class ModelConfig:
    vocab_size: int = 4096
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    context: int = 256
    ffn_hidden: int = 0  # 0: about 8/3 of n_embd, rounded up to a multiple of 64 (4 x n_embd for gelu)
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    dropout: float = 0.0
    family: str = "llmcli"  # informative: where the model comes from
    n_kv_head: int = 0  # 0: n_head; fewer: grouped-query attention
    qkv_bias: bool = False
    bias: bool = False  # on the attention output and the MLP's linears
    norm: str = "rms"
    positions: str = "rope"
    mlp: str = "swiglu"
    tied_output: bool = True  # False: a separate output matrix
    causal: bool = True  # False: a masked-LM encoder (no causal mask; it does not generate)

    def __post_init__(self):
        if self.ffn_hidden == 0:
            self.ffn_hidden = 4 * self.n_embd if self.mlp == "gelu" else 64 * math.ceil(8 * self.n_embd / 3 / 64)
        if self.n_kv_head == 0:
            self.n_kv_head = self.n_head
        self.validate()

    def validate(self) -> None:
        """A ValueError that names the first impossible field or combination."""
        for name in ("vocab_size", "n_layer", "n_head", "n_embd", "context", "ffn_hidden", "n_kv_head"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive integer, not {getattr(self, name)!r}")
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; choose one of {', '.join(FAMILIES)}")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if self.n_kv_head > self.n_head or self.n_head % self.n_kv_head:
            raise ValueError(f"n_head ({self.n_head}) must be a multiple of n_kv_head ({self.n_kv_head})")
        if self.positions == "rope" and self.head_dim % 2:
            raise ValueError("the head size (n_embd / n_head) must be even for rotary embeddings")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout}")
        if self.norm_eps <= 0 or self.rope_theta <= 0:
            raise ValueError("norm_eps and rope_theta must be positive")

    @property
    def objective(self) -> str:
        """What the model was pre-trained to do: "causal" (the next token) or "mlm" (masked tokens)."""
        return "causal" if self.causal else "mlm"

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {', '.join(sorted(unknown))}")
        return cls(**data)


def refuse_encoder(config: ModelConfig, name: str, cannot: str, instead: str) -> None:
    """One line for what needs the next token asked of an encoder: why it can't, what to do."""
    if not config.causal:
        raise UserError(f"{name} is a masked-LM encoder: it does not predict the next token, so it cannot "
                        f"{cannot}; {instead}")


# Named shapes. `small` matches nanoGPT's "baby GPT" shape for comparisons with other trainers.
PRESETS: dict[str, dict] = {
    "nano": dict(n_layer=2, n_head=2, n_embd=64, context=128),
    "micro": dict(n_layer=4, n_head=4, n_embd=128, context=128),
    "mini": dict(n_layer=4, n_head=4, n_embd=256, context=256),
    "small": dict(n_layer=6, n_head=6, n_embd=384, context=256),
    "medium": dict(n_layer=8, n_head=8, n_embd=512, context=512),
}


def preset_config(name: str, **overrides) -> ModelConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return ModelConfig(**{**PRESETS[name], **overrides})
