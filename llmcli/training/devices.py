"""Choosing the device and the precision to train in."""

from __future__ import annotations

import contextlib
import functools

import torch

from llmcli.errors import UserError


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise UserError(f"unknown device {requested!r}: use auto, cpu, cuda or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but no CUDA GPU is available: use --device auto")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise UserError("--device mps was asked for, but MPS is not available: use --device auto")
    return device


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """Native bf16 matrix instructions (AVX512-BF16 or AMX), where bf16 beats fp32 by ~3x."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_precision(requested: str, device: torch.device) -> str:
    """'bf16', 'fp16' or 'fp32' from auto|bf16|fp16|fp32."""
    if requested not in ("auto", "bf16", "fp16", "fp32"):
        raise UserError(f"unknown precision {requested!r}: use auto, bf16, fp16 or fp32")
    if requested == "fp16" and device.type != "cuda":
        raise UserError("--precision fp16 is for CUDA GPUs: use bf16 or fp32 here")
    if requested != "auto":
        return requested
    if device.type == "cuda":  # older GPUs: fp16, with the gradients scaled (Trainer)
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if device.type == "cpu":
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return "fp32"


AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: torch.device, precision: str):
    """The autocast context for a precision: weights stay fp32, matmuls run in bf16 (or fp16)."""
    dtype = AUTOCAST_DTYPES.get(precision)
    return torch.autocast(device.type, dtype=dtype) if dtype else contextlib.nullcontext()
