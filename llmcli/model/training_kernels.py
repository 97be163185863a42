"""llmcli's fused elementwise kernels for training on a CPU (kernels/training_ops.cpp):
SwiGLU, RMSNorm, the rotary turn with the split of the qkv product into attention's
layout, the causal softmax of attention scores, and the cross-entropy gradient, each
forward and backward in one pass instead of torch's several.

A library of its own, in plain vectorizable C++ (no AVX-512 needed), built on first use
like the decoding kernels (native_kernels.build_and_load) and loaded by the trainer before
its clock starts. The layers take these kernels only where `fits` says so (a CPU, float32
or bf16, not inside torch.compile, which fuses the same operations itself) and only with
gradients on; elsewhere they keep torch's operations, which compute the same values.
"""

from __future__ import annotations

import platform

import torch

from llmcli.model import native_kernels

# -fno-trapping-math: without it GCC vectorizes no loop that converts a float to an int (the
# exp's exponent). -fno-math-errno: nor one with a square root (AdamW's), which might set
# errno. -mprefer-vector-width=512: on CPUs with AVX-512, GCC's default for -march=native is
# 256-bit vectors; on a Xeon with AMX, 512 took the bf16 SwiGLU of a `small` step (4,096 x
# 1,536) from 3.3 to 2.0 ms forward and 4.4 to 3.7 ms backward. Other x86 CPUs are unchanged
# by it; other architectures' compilers don't know it.
WIDE_VECTORS = ("-mprefer-vector-width=512",) if platform.machine() in ("x86_64", "AMD64") else ()
FLAGS = ("-fno-trapping-math", "-fno-math-errno", *WIDE_VECTORS)
TRAINING = native_kernels.Library(
    "llmcli_training_kernels", "training",
    tuple(native_kernels.KERNELS / name for name in ("training_ops.cpp", "optimizer_step.cpp", "row_split_matmul.cpp", "transpose.cpp")),
    (native_kernels.KERNELS / "training.h",), flags=FLAGS)

_loaded: bool | None = None


def load() -> bool:
    """Load the kernels (building them the first time); False where they can't be had."""
    global _loaded
    if _loaded is None:
        _loaded = native_kernels.build_and_load(TRAINING)
    return _loaded


def fits(*tensors: torch.Tensor) -> bool:
    """Whether an operation on these tensors can take the kernels: loaded already (nothing
    is built here), CPU tensors of float32 or bf16, and not while torch.compile traces.
    Callers ask only on the training path (gradients on)."""
    return (bool(_loaded) and not torch.compiler.is_compiling()
            and all(t.device.type == "cpu" and t.dtype in (torch.float32, torch.bfloat16) for t in tensors))


def ops():
    return torch.ops.llmcli_training
