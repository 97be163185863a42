"""This machine's matrix-multiply rate, measured once and kept in the data directory, so
that `--preset auto` plans a command the same way whether the machine is idle or busy at
that moment: a plan read from a fresh 0.15-second timing picked 2x128 on an idle machine
and 2x64 on a loaded one.

The figure is the best of several short timings (load only ever slows one down), kept
per device, precision, thread count and torch version in `machine.json`; deleting the
file measures again."""

from __future__ import annotations

import json
import time

import torch

FILE = "machine.json"
ROUNDS = 5  # timings of MEASURE_SECONDS each; the best is kept
MEASURE_SECONDS = 0.2


def machine_key(device: torch.device, precision: str) -> str:
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"{where}, {precision}, {torch.get_num_threads()} threads, torch {torch.__version__}"


def matmul_flops(device: torch.device, precision: str, seconds: float = 0.15) -> float:
    """Measured FLOP/s of a 1024x1024 matrix multiply in the training precision."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = torch.randn(1024, 1024, device=device, dtype=dtype)
    b = torch.randn(1024, 1024, device=device, dtype=dtype)
    a @ b  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * 1024**3 * n / (time.perf_counter() - start)


def matmul_rate(device: torch.device, precision: str) -> tuple[float, str]:
    """(FLOP/s, when it was measured): the kept figure, or a new measurement kept."""
    from llmcli.files import atomic_write_json
    from llmcli.paths import home

    path = home() / FILE
    key = machine_key(device, precision)
    known = kept(path)
    entry = known.get(key)
    if isinstance(entry, dict) and isinstance(entry.get("flops"), (int, float)) and entry["flops"] > 0:
        return float(entry["flops"]), str(entry.get("measured", "?"))
    rate = max(matmul_flops(device, precision, MEASURE_SECONDS) for _ in range(ROUNDS))
    measured = time.strftime("%Y-%m-%d %H:%M")
    known[key] = {"flops": rate, "measured": measured}
    try:
        atomic_write_json(path, known)
    except OSError:  # a read-only data directory: plan from this measurement, keep nothing
        pass
    return rate, measured


def kept(path) -> dict:
    """The kept figures; a missing or damaged file is none (it is measured again)."""
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return known if isinstance(known, dict) else {}
