"""Labelled sentences from the files people have: TSV or CSV with a header row (GLUE's
SST-2 is `sentence<TAB>label`), JSONL or JSON, each maybe gzipped.

The text and label columns can be named (`--text-column`, `--label-column`); by default
the text is the first of the columns `sentence`, `text` or `review` a record has, and the
label is the column `label`. Labels are kept as they are written, except that a file
whose labels are all 0 or 1 (SST-2's) is read as negative (0) and positive (1).
"""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError

TEXT_COLUMNS = ("sentence", "text", "review")
BINARY = {"0": "negative", "1": "positive"}


def column_list(record: dict) -> str:
    return ", ".join(repr(k) for k in record) or "none"


def text_of(record: dict, where: str, column: str | None) -> str:
    if column is None:
        column = next((c for c in TEXT_COLUMNS if c in record), None)
        if column is None:
            raise UserError(f"{where}: no text column: expected one of {', '.join(map(repr, TEXT_COLUMNS))}, "
                            f"and the record has {column_list(record)}: name it with --text-column")
    elif column not in record:
        raise UserError(f"{where}: no column {column!r} (the record has {column_list(record)}): "
                        "check --text-column")
    text = record[column]
    if not isinstance(text, str):
        raise UserError(f"{where}: the text in {column!r} is {type(text).__name__}, not a string")
    if not text.strip():
        raise UserError(f"{where}: the text in {column!r} is empty")
    return text.strip()


def label_of(record: dict, where: str, column: str) -> str:
    if column not in record:
        raise UserError(f"{where}: no label column {column!r} (the record has {column_list(record)}): "
                        "name it with --label-column")
    label = record[column]
    if label is None or isinstance(label, (dict, list)):
        raise UserError(f"{where}: the label in {column!r} is {'missing' if label is None else 'not a value'}")
    label = str(label).strip()
    if not label:
        raise UserError(f"{where}: the label in {column!r} is empty: every example needs one")
    return label


def read_examples(path, text_column: str | None = None, label_column: str = "label") -> list[dict]:
    """[{"text", "label"}] from a file, with errors that name the file and line."""
    from llmcli.datasets.formats import read_records

    path = Path(path)
    examples = []
    for where, record in read_records(path):
        if not isinstance(record, dict):
            raise UserError(f"{where}: expected an object with a text and a label")
        examples.append({"text": text_of(record, where, text_column), "label": label_of(record, where, label_column)})
    if not examples:
        raise UserError(f"{path}: empty file: no examples in it")
    if {e["label"] for e in examples} <= set(BINARY):
        for example in examples:
            example["label"] = BINARY[example["label"]]
    return examples
