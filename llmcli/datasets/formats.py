"""Reading records from the standard formats people already have, with errors that name
the file and line: JSONL, JSON (a list, or {"data": [...]}), TSV and CSV with a header row,
each plain or gzipped."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Iterator

from llmcli.errors import UserError

SUFFIXES = (".jsonl", ".json", ".tsv", ".csv")


def format_of(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix[1:]
    raise UserError(f"{path}: unknown format: use .jsonl, .json, .tsv or .csv (optionally .gz)")


def read_text(path: Path) -> str:
    """A file's text, gunzipped when it ends in .gz; a clear error for bytes that are not
    UTF-8, naming the line."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file" if not path.exists() else f"{path} is not a file")
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise UserError(f"{path}: not a valid gzip file ({exc})") from None
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = bom + exc.start
        line = data[:bad].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte {data[bad]:#04x}): "
                        "convert the file to UTF-8") from None


def read_records(path) -> Iterator[tuple[str, dict]]:
    """(where, record) pairs; `where` is "file:line" for error messages."""
    path = Path(path)
    kind = format_of(path)
    text = read_text(path)
    if kind == "jsonl":
        yield from jsonl_records(path, text)
    elif kind == "json":
        yield from json_records(path, text)
    else:
        yield from delimited_records(path, text, "\t" if kind == "tsv" else ",")


def jsonl_records(path: Path, text: str) -> Iterator[tuple[str, dict]]:
    # split at "\n" only: JSON strings may hold U+2028 and other characters splitlines() splits at
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number}: not valid JSON ({exc.msg}): each line must be one JSON object") from None
        yield f"{path}:{number}", record


def json_records(path: Path, text: str) -> Iterator[tuple[str, dict]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a JSON list of examples, or an object with a \"data\" list")
    for index, record in enumerate(data):
        yield f"{path}: item {index}", record


def delimited_records(path: Path, text: str, delimiter: str) -> Iterator[tuple[str, dict]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    header = next(reader, None)
    if not header:
        raise UserError(f"{path}: empty file: expected a header row naming the columns")
    for row in reader:
        number = reader.line_num
        if not row:
            continue
        if len(row) != len(header):
            raise UserError(f"{path}:{number}: {len(row)} columns where the header has {len(header)}")
        yield f"{path}:{number}", dict(zip(header, row))
