"""Int8 weights for fast generation on a CPU.

Generating one token reads every weight once, so at batch 1 a CPU is limited by memory
traffic, not arithmetic: a `small` model's 49 MB of float32 weights do not fit in a
typical 32 MB L3 cache, and each token waits on main memory. Stored as int8 with one
scale per output row (weight-only quantization, activations stay bf16), the same
weights take a quarter of the room, stay in cache, and PyTorch's int8 matrix-vector
kernel reads them several times faster. The change to the model's predictions is
small: `benchmarks/generation_speed.py` reports it in bits per byte.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def int8_kernel_available() -> bool:
    return hasattr(torch, "_weight_int8pack_mm")


class Int8Linear(nn.Module):
    """y = x @ W.T (+ b) with W stored as int8 rows times a bf16 scale per row."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None):
        super().__init__()
        w = weight.detach().float()
        scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        self.register_buffer("qweight", torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8))
        self.register_buffer("scale", scale.to(torch.bfloat16))
        self.register_buffer("bias", None if bias is None else bias.detach().clone())

    def forward(self, x):
        shape = x.shape
        flat = x.reshape(-1, shape[-1]).to(torch.bfloat16)
        if flat.device.type == "cpu":
            y = torch._weight_int8pack_mm(flat, self.qweight, self.scale)
        else:  # elsewhere: dequantize (GPUs have the bandwidth this saves on a CPU)
            y = F.linear(flat, self.qweight.to(flat.dtype) * self.scale[:, None])
        if self.bias is not None:
            y = y + self.bias.to(y.dtype)
        return y.view(*shape[:-1], y.shape[-1]).to(x.dtype)


def quantize_for_generation(model) -> bool:
    """Give a float model int8 weights in its linear layers and an int8 copy of its output
    layer (`model.int8_output`, tied to the embedding or not), in place.

    Returns False (and leaves the model alone) where the int8 kernel is missing.
    """
    if not int8_kernel_available():
        return False
    for block in model.blocks:
        for part in (block.attn, block.mlp):  # every family's linears: qkv, proj, gate_up or up, down
            for name, layer in list(part.named_children()):
                if isinstance(layer, nn.Linear):
                    setattr(part, name, Int8Linear(layer.weight, layer.bias))
    model.int8_output = Int8Linear(model.output_weight)  # the tied embedding or the output layer
    model.to(torch.bfloat16)  # the int8 kernel takes bf16 activations; the KV cache stays float32
    model.eval()
    return True


def prepare_for_generation(model, precision: str = "auto") -> str:
    """Apply a generation precision (auto|int8|fp32); returns the one in effect."""
    on_cpu = model.embed.weight.device.type == "cpu"
    if precision == "int8" or (precision == "auto" and on_cpu):
        if quantize_for_generation(model):
            return "int8"
    return "fp32"
