"""llmcli's own decoding kernels for CPUs with AVX-512 VNNI, built on first use with the
machine's C++ compiler and kept in the user cache:

- kernels/quantized_matvec.cpp: int4 and int8 weights times activations rounded to int8.
  At batch 1 a token's time is the time its weights take to read; torch's int4 CPU kernel
  widens each weight to bf16 before multiplying and reads SmolLM2-135M's weights at about
  half the speed these do.
- kernels/decode_attention.cpp: one token's attention over the KV cache, the positions
  split among the threads (torch's splits the heads alone: 3 for SmolLM2).
- kernels/decode_step.cpp: a whole one-token step through every layer in one call, built
  on the two above (native_decode.py says when it is taken).

Where they can't be had (no compiler, a CPU without AVX-512 VNNI, a failed build), every
caller keeps torch's kernels: `load()` returns False, and a failed build is remembered so
that later runs don't try again. The building and loading (build_and_load) also serve the
training kernels (training_kernels.py), a library of its own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

KERNELS = Path(__file__).with_name("kernels")


@dataclass(frozen=True)
class Library:
    """A set of C++ sources built into one library of torch operators."""

    stem: str  # the built file's name, before its build key
    what: str  # for the build's message: "decoding", "training"
    sources: tuple[Path, ...]
    headers: tuple[Path, ...] = ()
    flags: tuple[str, ...] = ()


DECODING = Library("llmcli_kernels", "decoding",
                   tuple(KERNELS / name for name in ("quantized_matvec.cpp", "decode_attention.cpp", "decode_step.cpp")),
                   (KERNELS / "kernels.h",))
BLOCK = 64  # inputs a block of the layouts covers: two groups of 32
TILE = 8  # output rows the layouts interleave
# from this many rows at once (a prompt, a batch being scored), the weights are widened to bf16
# for a matrix multiply: 32 rows cost about the same either way on SmolLM2's shapes, 512 five times less
MATMUL_ROWS = 48

ATTENTION_HEAD_SIZES = tuple(range(16, 129, 16))  # what the attention kernel takes

_loaded: bool | None = None


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("LLMCLI_KERNEL_CACHE") or user_cache_dir("llmcli", appauthor=False)) / "kernels"


def _compiler() -> str | None:
    return next((found for name in ("g++", "c++", "clang++") if (found := shutil.which(name))), None)


def _command(compiler: str, output: Path, library: Library) -> list[str]:
    torch_dir = Path(torch.__file__).parent
    return [compiler, "-O3", "-march=native", "-std=c++20", "-shared", "-fPIC", "-fopenmp", "-w", *library.flags,
            f"-D_GLIBCXX_USE_CXX11_ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}",
            f"-I{torch_dir / 'include'}", f"-I{torch_dir / 'include' / 'torch' / 'csrc' / 'api' / 'include'}",
            f"-I{sysconfig.get_paths()['include']}", *map(str, library.sources), f"-L{torch_dir / 'lib'}", "-lc10", "-ltorch_cpu",
            "-o", str(output)]


def _build_key(compiler: str, library: Library) -> str:
    """Changes with the source, the flags, torch, the compiler and the CPU (-march=native)."""
    cpu = Path("/proc/cpuinfo").read_text(errors="replace").split("\n\n")[0] if Path("/proc/cpuinfo").exists() else ""
    flags = next((line for line in cpu.splitlines() if line.startswith("flags")), "")
    sources = (source.read_text() for source in library.sources + library.headers)
    text = "\0".join([*sources, *library.flags, torch.__version__, compiler, flags, sys.platform])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def loaded() -> bool:
    """Whether the kernels are in this process already (nothing is built)."""
    return bool(_loaded)


def load() -> bool:
    """Load the kernels (building them the first time); False where they can't be had."""
    global _loaded
    if _loaded is None:
        _loaded = _load()
    return _loaded


def _load() -> bool:
    if not build_and_load(DECODING):
        return False
    _register_shapes()
    return True


def build_and_load(library: Library) -> bool:
    """Load `library` into this process, building it the first time; False where it can't
    be had (LLMCLI_NATIVE_KERNELS=0 among them)."""
    if os.environ.get("LLMCLI_NATIVE_KERNELS", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    compiler = _compiler()
    if compiler is None:
        return False
    try:
        key = _build_key(compiler, library)
        built, failed = cache_dir() / f"{library.stem}-{key}.so", cache_dir() / f"{library.stem}-{key}.failed"
        if failed.exists():
            return False
        if not built.exists() and not _build(compiler, built, failed, library):
            return False
        torch.ops.load_library(str(built))
    except (OSError, RuntimeError):  # an unwritable cache, a damaged library: torch's kernels serve
        return False
    return True


def _register_shapes() -> None:
    """What torch.compile needs to trace through the kernels: the shape of what they return."""
    for name in ("int4", "int8"):
        torch.library.register_fake(f"llmcli_kernels::{name}")(
            lambda x, *weights_and_rows: x.new_empty(x.shape[0], weights_and_rows[-1]))
    torch.library.register_fake("llmcli_kernels::int4_dequantize")(
        lambda weight, rows, inputs: weight.new_empty(rows, inputs, dtype=torch.bfloat16))
    torch.library.register_fake("llmcli_kernels::int8_dequantize")(
        lambda weight, scale, rows, inputs: weight.new_empty(rows, inputs, dtype=torch.bfloat16))
    torch.library.register_fake("llmcli_kernels::decode_attention")(
        lambda q, k, v: q.new_empty(q.shape, dtype=torch.float32))


def _build(compiler: str, built: Path, failed: Path, library: Library) -> bool:
    built.parent.mkdir(parents=True, exist_ok=True)
    print(f"building llmcli's {library.what} kernels for this CPU (once, under a minute)...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=built.parent) as scratch:
        partial = Path(scratch) / built.name
        done = subprocess.run(_command(compiler, partial, library), capture_output=True, text=True)
        if done.returncode != 0:
            # remembered: a CPU without AVX-512 VNNI fails the same way every time
            failed.write_text(done.stderr[-4000:])
            return False
        os.replace(partial, built)  # whole or not at all, also with two builds at once
    return True


def _tiled(values: torch.Tensor, fill=0) -> torch.Tensor:
    """(rows, inputs) padded to whole tiles of 8 rows and blocks of 64 inputs, viewed as
    (tiles, row, blocks, group, step, byte): input 32 * group + 4 * step + byte of a block."""
    rows, inputs = values.shape
    padded = torch.full((-(-rows // TILE) * TILE, -(-inputs // BLOCK) * BLOCK), fill, dtype=values.dtype)
    padded[:rows, :inputs] = values
    return padded.view(padded.shape[0] // TILE, TILE, padded.shape[1] // BLOCK, 2, 8, 4)


def _per_lane(values: torch.Tensor) -> torch.Tensor:
    """(rows, groups) -> (tiles, blocks, 16 lanes), lane = 2 * row + group."""
    rows, groups = values.shape
    padded = torch.zeros(-(-rows // TILE) * TILE, -(-groups // 2) * 2, dtype=values.dtype)
    padded[:rows, :groups] = values
    return padded.view(-1, TILE, padded.shape[1] // 2, 2).permute(0, 2, 1, 3).reshape(padded.shape[0] // TILE, -1, 16)


def pack_int4(codes: torch.Tensor, scale: torch.Tensor, minimum: torch.Tensor) -> torch.Tensor:
    """The kernel's int4 layout (see the .cpp) for weight = code * scale + minimum, from codes
    (rows, inputs) in 0..15 and a scale and minimum (rows, inputs / 32) per group of 32."""
    tiled = _tiled(codes.to(torch.uint8))  # (T, r, B, g, s, j)
    t, _, b = tiled.shape[:3]
    steps = tiled.view(t, TILE, b, 2, 4, 2, 4).permute(0, 2, 4, 5, 1, 3, 6)  # (T, B, load, half, r, g, j)
    nibbles = (steps[:, :, :, 0] | (steps[:, :, :, 1] << 4)).reshape(t, b, 256)
    halves = [_per_lane(v.to(torch.float16)).view(torch.uint8) for v in (scale, minimum)]
    return torch.cat([nibbles, *halves], dim=2).contiguous()


def pack_int8(codes: torch.Tensor) -> torch.Tensor:
    """The kernel's int8 layout (see the .cpp) for int8 codes (rows, inputs)."""
    tiled = _tiled((codes.to(torch.int16) + 128).to(torch.uint8), fill=128)  # code 0 where padded
    t, _, b = tiled.shape[:3]
    return tiled.permute(0, 2, 4, 1, 3, 5).reshape(t, b, 512).contiguous()  # (T, B, s, r, g, j)


def int4_matvec(x: torch.Tensor, packed: torch.Tensor, rows: int) -> torch.Tensor:
    return torch.ops.llmcli_kernels.int4(x, packed, rows)


def int8_matvec(x: torch.Tensor, packed: torch.Tensor, scale: torch.Tensor, rows: int) -> torch.Tensor:
    return torch.ops.llmcli_kernels.int8(x, packed, scale, rows)


def int4_weights(packed: torch.Tensor, rows: int, inputs: int) -> torch.Tensor:
    """The bf16 (rows, inputs) weights pack_int4 stored."""
    return torch.ops.llmcli_kernels.int4_dequantize(packed, rows, inputs)


def int8_weights(packed: torch.Tensor, scale: torch.Tensor, rows: int, inputs: int) -> torch.Tensor:
    """The bf16 (rows, inputs) weights pack_int8 stored, times their row scales."""
    return torch.ops.llmcli_kernels.int8_dequantize(packed, scale, rows, inputs)


def decode_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(D)) v for q (B, kv heads, query heads per kv head, D) and a
    float32 cache's k, v (B, kv heads, positions, D); float32 (B, kv heads, group, D)."""
    return torch.ops.llmcli_kernels.decode_attention(q, k, v)


def decode_attention_fits(q: torch.Tensor, k: torch.Tensor) -> bool:
    return (loaded() and k.device.type == "cpu" and k.dtype == torch.float32 and k.shape[-1] in ATTENTION_HEAD_SIZES
            and k.stride(-1) == 1 and k.stride(-2) == k.shape[-1])
