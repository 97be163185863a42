"""The model's shape: the config the Transformer is built from, and the named presets.

No torch here: listing commands read a model's config without paying for it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields


@dataclass
class ModelConfig:
    vocab_size: int = 4096
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    context: int = 256
    ffn_hidden: int = 0  # 0: about 8/3 of n_embd, rounded up to a multiple of 64
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    dropout: float = 0.0

    def __post_init__(self):
        if self.ffn_hidden == 0:
            self.ffn_hidden = 64 * math.ceil(8 * self.n_embd / 3 / 64)
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        if (self.n_embd // self.n_head) % 2:
            raise ValueError("the head size (n_embd / n_head) must be even for rotary embeddings")

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
