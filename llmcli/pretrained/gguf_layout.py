"""A bounded walk over a GGUF file's header, before the `gguf` package's reader sees it.

The reader trusts the lengths a file declares: an array that claims 2**40 numbers makes it
loop 2**40 times, doing nothing each time, so a damaged or hostile file can hang an import.
This walk reads the same layout (header, key-value metadata, tensor infos) and stops at the
first length that runs past the end of the file; every step consumes bytes, so it ends
within the file's size. It checks the layout only; the reader still reads the values.

GGUF v2/v3 layout, little-endian: "GGUF", version u32, tensor count u64, key-value count u64;
each key-value: key (u64 length + UTF-8), value type u32, value; each tensor info: name, number
of dimensions u32, dimensions u64 each, type u32, offset u64.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

# GGUF value types: bytes of each scalar one; 8 is a string, 9 an array
SCALAR_BYTES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
STRING, ARRAY = 8, 9
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_NESTING = 2  # an array of arrays at most


class LayoutError(ValueError):
    """The header runs past the end of the file or holds a type GGUF does not have."""


class Walk:
    def __init__(self, data):
        self.data, self.at = data, 0

    def skip(self, n: int) -> int:
        if n < 0 or self.at + n > len(self.data):
            raise LayoutError(f"a length at byte {self.at} runs past the end of the file ({len(self.data)} bytes)")
        start, self.at = self.at, self.at + n
        return start

    def u32(self) -> int:
        return struct.unpack_from("<I", self.data, self.skip(4))[0]

    def u64(self) -> int:
        return struct.unpack_from("<Q", self.data, self.skip(8))[0]

    def value(self, kind: int, depth: int = 0) -> None:
        if kind in SCALAR_BYTES:
            self.skip(SCALAR_BYTES[kind])
        elif kind == STRING:
            self.skip(self.u64())
        elif kind == ARRAY and depth < MAX_NESTING:
            item, count = self.u32(), self.u64()
            if item in SCALAR_BYTES:
                self.skip(count * SCALAR_BYTES[item])
            else:  # strings or arrays: each one consumes at least 8 bytes, so this loop is bounded
                for _ in range(count):
                    self.value(item, depth + 1)
        else:
            raise LayoutError(f"value type {kind} at byte {self.at} is not one GGUF has")


def check_layout(path: Path) -> None:
    """LayoutError when the header of the GGUF file at `path` does not fit in the file."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        walk = Walk(data)
        walk.skip(8)  # the magic and the version: the caller and the reader check them
        tensors, keys = walk.u64(), walk.u64()
        for _ in range(keys):
            walk.value(STRING)
            walk.value(walk.u32())
        for _ in range(tensors):
            walk.value(STRING)
            dims = walk.u32()
            if dims > MAX_DIMS:
                raise LayoutError(f"a tensor at byte {walk.at} claims {dims} dimensions; GGUF has at most {MAX_DIMS}")
            walk.skip(8 * dims + 4 + 8)
