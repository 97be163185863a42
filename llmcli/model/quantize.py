"""Int8 (and int4) weights for fast generation on a CPU.

Generating one token reads every weight once, so at batch 1 a CPU is limited by memory
traffic, not arithmetic: a `small` model's 49 MB of float32 weights do not fit in a
typical 32 MB L3 cache, and each token waits on main memory. Stored as int8 with one
scale per output row (weight-only quantization), the same weights take a quarter of the
room, stay in cache, and an int8 matrix-vector kernel reads them several times faster:
llmcli's own (native_kernels.py, activations rounded to int8) where the CPU has AVX-512
VNNI, else PyTorch's (bf16 activations). The change to the model's predictions is small:
`benchmarks/generation_speed.py` reports it in bits per byte.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from llmcli.model import native_kernels


def int8_kernel_available() -> bool:
    return hasattr(torch, "_weight_int8pack_mm")


class QuantizedLinear(nn.Module):
    """A linear layer with weights stored compressed: the activations go in as bf16 rows,
    `product` multiplies them by the weights, the bias is added, the shape restored.

    On a CPU with llmcli's kernels (`native`), a few rows go through the per-row kernel
    (`native_product`) and many (a prompt) through one bf16 matmul of the weights
    unpacked (`unpacked`); elsewhere through torch's own kernels (`torch_product`)."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.rows, self.inputs = weight.shape
        self.native = weight.device.type == "cpu" and native_kernels.load()

    def forward(self, x):
        shape = x.shape
        y = self.product(x.reshape(-1, shape[-1]).to(torch.bfloat16))
        if self.bias is not None:
            y = y + self.bias.to(y.dtype)
        return y.view(*shape[:-1], y.shape[-1]).to(x.dtype)

    def product(self, flat: torch.Tensor) -> torch.Tensor:
        if not self.native:
            return self.torch_product(flat)
        if flat.shape[0] >= native_kernels.MATMUL_ROWS:
            return F.linear(flat, self.unpacked())
        return self.native_product(flat)

    def native_product(self, flat: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def unpacked(self) -> torch.Tensor:
        raise NotImplementedError

    def torch_product(self, flat: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Int8Linear(QuantizedLinear):
    """y = x @ W.T (+ b) with W stored as int8 rows times a scale per row."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None):
        super().__init__(weight)
        w = weight.detach().float()
        scale = w.abs().amax(dim=1).clamp(min=1e-8) / 127.0
        codes = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
        if self.native:
            self.register_buffer("packed", native_kernels.pack_int8(codes))
            # float32 bytes, so that the model's cast to bf16 leaves them be
            self.register_buffer("scale_bytes", scale.contiguous().view(torch.uint8))
        else:
            self.register_buffer("qweight", codes)
            self.register_buffer("scale", scale.to(torch.bfloat16))
        self.register_buffer("bias", None if bias is None else bias.detach().clone())

    def native_product(self, flat):
        return native_kernels.int8_matvec(flat, self.packed, self.scale_bytes.view(torch.float32), self.rows)

    def unpacked(self):
        return native_kernels.int8_weights(self.packed, self.scale_bytes.view(torch.float32), self.rows, self.inputs)

    def torch_product(self, flat):
        if flat.device.type == "cpu":
            return torch._weight_int8pack_mm(flat, self.qweight, self.scale)
        # elsewhere: dequantize (GPUs have the bandwidth this saves on a CPU)
        return F.linear(flat, self.qweight.to(flat.dtype) * self.scale[:, None])


INT4_GROUP = 32  # weights a scale and zero point serve (llama.cpp's Q4_0/Q4_1 blocks are 32 too)


def int4_kernel_available() -> bool:
    if native_kernels.load():
        return True
    return hasattr(torch.ops.aten, "_weight_int4pack_mm_for_cpu") and hasattr(torch, "_convert_weight_to_int4pack_for_cpu")


class Int4Linear(QuantizedLinear):
    """y = x @ W.T (+ b) with W stored as 4-bit codes, a scale and minimum (float16 for
    llmcli's kernels, bf16 for torch's) for each group of 32 weights along a row (asymmetric, as llama.cpp's Q4_1): half int8's bytes,
    so about half its time where reading weights is what a token waits on. A model
    imported from a Q4_1 file gets back the very values it was shipped with."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None):
        super().__init__(weight)
        w = weight.detach().float()
        rows, cols = w.shape
        groups = w.reshape(rows, cols // INT4_GROUP, INT4_GROUP)
        low, high = groups.amin(-1), groups.amax(-1)
        if self.native:  # code * scale + minimum, both float16 as in a Q4_1 file
            scale, minimum = ((high - low) / 15).to(torch.float16), low.to(torch.float16)
            codes = self._codes(groups, minimum.float(), scale.float())
            self.register_buffer("packed", native_kernels.pack_int4(codes.reshape(rows, cols), scale, minimum))
        else:
            # torch's kernel computes (code - 8) * scale + zero, scale and zero in bf16
            scale = ((high - low) / 15).clamp(min=1e-8).to(torch.bfloat16)
            zero = (low + 8 * scale.float()).to(torch.bfloat16)
            codes = self._codes(groups, zero.float() - 8 * scale.float(), scale.float())
            self.register_buffer("packed", torch._convert_weight_to_int4pack_for_cpu(codes.reshape(rows, cols), 1))
            self.register_buffer("scales_zeros", torch.stack([scale, zero], -1).transpose(0, 1).contiguous())
        self.register_buffer("bias", None if bias is None else bias.detach().clone())

    @staticmethod
    def _codes(groups, start, scale):
        """Codes chosen against the rounded scale and start, so that rounding them costs little."""
        steps = (groups - start[..., None]) / scale.clamp(min=1e-30)[..., None]
        return torch.round(steps).clamp(0, 15).to(torch.int32)

    def native_product(self, flat):
        return native_kernels.int4_matvec(flat, self.packed, self.rows)

    def unpacked(self):
        return native_kernels.int4_weights(self.packed, self.rows, self.inputs)

    def torch_product(self, flat):
        return torch.ops.aten._weight_int4pack_mm_for_cpu(flat, self.packed, INT4_GROUP, self.scales_zeros)


def int4_fits(model) -> bool:
    """Every block matrix's rows split into whole groups (its input width a multiple of 32)."""
    return all(layer.in_features % INT4_GROUP == 0 for block in model.blocks for part in (block.attn, block.mlp)
               for layer in part.children() if isinstance(layer, nn.Linear))


def quantize_for_generation(model, bits: int = 8) -> bool:
    """Give a float model int8 (or, `bits=4`, int4) weights in its blocks' linear layers and
    an int8 copy of its output layer (`model.quantized_output`, tied to the embedding or
    not), in place.

    Returns False (and leaves the model alone) where the kernel is missing, or for int4
    where a width is not a multiple of the group.
    """
    if not int8_kernel_available() or (bits == 4 and not (int4_kernel_available() and int4_fits(model))):
        return False
    quantized = Int4Linear if bits == 4 else Int8Linear
    for block in model.blocks:
        for part in (block.attn, block.mlp):  # every family's linears: qkv, proj, gate_up or up, down
            for name, layer in list(part.named_children()):
                if isinstance(layer, nn.Linear):
                    setattr(part, name, quantized(layer.weight, layer.bias))
    # the output layer (the tied embedding or its own) stays int8: its errors go straight into
    # the logits, and a Q4_1 file keeps it finer too (SmolLM2's has 8-bit embeddings)
    model.quantized_output = Int8Linear(model.output_weight)
    model.to(torch.bfloat16)  # the int8 kernel takes bf16 activations; the KV cache stays float32
    model.eval()
    from llmcli.model import native_decode

    native_decode.attach(model)  # one-token steps in one native call, where the model's parts allow
    return True


def prepare_for_generation(model, precision: str = "auto") -> str:
    """Apply a generation precision (auto|int8|int4|fp32); returns the one in effect (int4
    falls back to int8 where its kernel is missing or the widths don't split in groups)."""
    on_cpu = model.embed.weight.device.type == "cpu"
    if precision == "int4" and on_cpu and quantize_for_generation(model, bits=4):
        return "int4"
    if precision in ("int8", "int4") or (precision == "auto" and on_cpu):
        if quantize_for_generation(model):
            return "int8"
    return "fp32"
