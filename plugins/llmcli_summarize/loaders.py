"""Reading summarization files: records in JSONL, JSON (a list, or {"data": [...]}), TSV or
CSV, with the document and the summary in fields the user may name.

Every example becomes {"document", "summary", "references"}: "summary" is the first
reference (what training targets), "references" all of them (what ROUGE takes the best
of). Several references come from numbered fields (summary1, summary2, ... as DialogSum's
test split has them), from a list-valued field, or both.
"""

from __future__ import annotations

import re

from llmcli.errors import UserError

# tried in order when no source field is named: DialogSum and SAMSum use "dialogue",
# CNN/DailyMail "article", XSum "document"
SOURCE_FIELDS = ("document", "dialogue", "article", "text", "source")
SUMMARY_FIELD = "summary"


def source_field_of(record: dict, named: str | None) -> str | None:
    if named:
        return named if named in record else None
    return next((name for name in SOURCE_FIELDS if name in record), None)


def references_in(record: dict, field: str, where: str) -> list[str]:
    """The field's text (or list of texts), then field1, field2, ... in number order."""
    numbered = sorted((int(m.group(1)), key) for key in record
                      if (m := re.fullmatch(re.escape(field) + r"(\d+)", key)))
    values = ([record[field]] if field in record else []) + [record[key] for _, key in numbered]
    texts: list[str] = []
    for value in values:
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                raise UserError(f"{where}: a {field!r} value is {type(text).__name__}, not text")
            if text.strip():
                texts.append(text.strip())
    return texts


def summary_example(record, where: str, source: str | None = None, summary: str = SUMMARY_FIELD) -> dict:
    """One example from a record; a UserError naming `where` when a field is missing or empty."""
    if not isinstance(record, dict):
        raise UserError(f"{where}: expected an object with a document and a summary field")
    fields = ", ".join(map(repr, record)) or "none"
    name = source_field_of(record, source)
    if name is None:
        wanted = repr(source) if source else " or ".join(map(repr, SOURCE_FIELDS))
        raise UserError(f"{where}: no {wanted} field with the document (the record has {fields}): "
                        "name it with --source-field")
    document = record[name]
    if not isinstance(document, str) or not document.strip():
        raise UserError(f"{where}: the {name!r} field is empty or not text")
    references = references_in(record, summary, where)
    if not references:
        raise UserError(f"{where}: no summary in a {summary!r} (or {summary}1, {summary}2...) field "
                        f"(the record has {fields}): name it with --summary-field")
    return {"document": document.strip(), "summary": references[0], "references": references}


def read_summaries(path, source: str | None = None, summary: str = SUMMARY_FIELD) -> list[dict]:
    from llmcli.datasets.formats import read_records

    examples = [summary_example(record, where, source, summary) for where, record in read_records(path)]
    if not examples:
        raise UserError(f"{path}: no examples in it: expected records with a document and a summary")
    return examples
