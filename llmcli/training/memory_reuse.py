"""Keep freed memory in the process for reuse while training on a CPU.

glibc's malloc hands every block over 32 MB (and, until its threshold adapts, over 128 KB)
to the kernel with mmap, and returns it when freed. A training step allocates the same
large buffers every time (an embedding's gradient, a bf16 copy of the weights, a chunk of
logits), so each step faults every page of them in again: a 113 MB float32 buffer took
57 ms to fill fresh against 9 ms reused, and SmolLM2-135M's step spent several hundred ms
so. With mmap off and no trimming, freed blocks stay in the heap and the next step reuses
them, as PyTorch's CUDA caching allocator does on a GPU.

Only glibc (Linux) has these settings; elsewhere nothing changes. The process keeps its
peak memory until it exits, which suits a training run.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # mallopt's parameters, from glibc's malloc.h
_done = False


def keep_freed_memory() -> bool:
    """Turn off mmap for large blocks and the trimming of the heap, once; False where
    this is not glibc."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # trimming: never (the largest int); mmap: no new mapped blocks
    _done = bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1)) and bool(mallopt(M_MMAP_MAX, 0))
    return _done
