"""A GGUF file's metadata as a plain {key: value} dict, read with the `gguf` package.

Strings come back as str, numbers as int, float or bool, arrays as lists of those. The
tensors are not read (the reader maps the file; nothing is loaded until asked for).
"""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError


def gguf_metadata(path) -> dict:
    """Every key of the GGUF file at path, without the reader's bookkeeping (GGUF.*)."""
    from llmcli.pretrained.gguf_weights import GGUFError, open_reader

    try:
        return metadata_of(open_reader(Path(path)))
    except GGUFError as exc:
        raise UserError(str(exc)) from None


def metadata_of(reader) -> dict:
    """The metadata of a file a `gguf.GGUFReader` has open (parsing it again costs seconds)."""
    return {name: field.contents() for name, field in reader.fields.items() if not name.startswith("GGUF.")}
