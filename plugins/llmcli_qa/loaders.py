"""Reading question-answering files: SQuAD v1.1 JSON, or JSONL with one example a line.

Both become examples {"id", "question", "context", "answers": [{"text", "start"}]}, every
answer checked to be the text at its start in the context, so that a model is never
trained to point at the wrong words. Errors name the file and the line or question.
"""

from __future__ import annotations

import json
from pathlib import Path

from llmcli.datasets.formats import format_of, read_text
from llmcli.errors import UserError


def read_qa_file(path) -> list[tuple[str, dict]]:
    """(where, example) pairs from a .json (SQuAD) or .jsonl file, maybe gzipped."""
    path = Path(path)
    kind = format_of(path)
    if kind not in ("json", "jsonl"):
        raise UserError(f"{path}: qa reads SQuAD JSON (.json) or JSONL (.jsonl) with question, context "
                        "and answers: a table can't hold several answers")
    text = read_text(path)
    if not text.strip():
        raise UserError(f"{path}: empty file: expected SQuAD JSON or JSONL examples")
    if kind == "jsonl":
        return list(jsonl_examples(path, text))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list) and looks_like_squad(data["data"]):
        return list(squad_examples(path, data["data"]))
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise UserError(f"{path}: expected SQuAD JSON ({{\"data\": [articles with \"paragraphs\"]}}) "
                        "or a list of examples")
    return [(f"{path}: item {i}", example_from(record, f"{path}: item {i}")) for i, record in enumerate(data)]


def looks_like_squad(items: list) -> bool:
    return bool(items) and isinstance(items[0], dict) and "paragraphs" in items[0]


def need(record, key: str, kind: type, where: str):
    if not isinstance(record, dict):
        raise UserError(f"{where}: expected a JSON object, found {type(record).__name__}")
    if key not in record:
        raise UserError(f"{where}: missing {key!r}")
    if not isinstance(record[key], kind):
        raise UserError(f"{where}: {key!r} should be a {'list' if kind is list else 'string'}")
    return record[key]


def squad_examples(path: Path, articles: list):
    """SQuAD: data -> articles -> paragraphs (context, qas -> question, id, answers)."""
    for a, article in enumerate(articles):
        title = article.get("title", f"article {a}") if isinstance(article, dict) else f"article {a}"
        for p, paragraph in enumerate(need(article, "paragraphs", list, f"{path}: article {a}")):
            where = f"{path}: {title}, paragraph {p}"
            context = need(paragraph, "context", str, where)
            for q, qa in enumerate(need(paragraph, "qas", list, where)):
                name = qa.get("id", f"#{q}") if isinstance(qa, dict) else f"#{q}"
                here = f"{path}: question {name}"
                answers = [answer_from(answer, context, here) for answer in need(qa, "answers", list, here)]
                if not answers:
                    raise UserError(f"{here}: no answers (unanswerable SQuAD 2.0 questions are not supported)")
                yield here, {"id": str(name), "question": need(qa, "question", str, here),
                             "context": context, "answers": answers}


def jsonl_examples(path: Path, text: str):
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}:{exc.colno}: not valid JSON ({exc.msg}): each line must be one JSON object") from None
        yield where, example_from(record, where)


def example_from(record, where: str) -> dict:
    """One example in our own shape (answers' offsets as "start" or SQuAD's "answer_start")."""
    context = need(record, "context", str, where)
    answers = [answer_from(answer, context, where) for answer in need(record, "answers", list, where)]
    if not answers:
        raise UserError(f"{where}: 'answers' is empty: give at least one answer")
    example = {"question": need(record, "question", str, where), "context": context, "answers": answers}
    if "id" in record:
        example["id"] = str(record["id"])
    return {**example, **{k: v for k, v in record.items() if k not in example}}


def answer_from(answer, context: str, where: str) -> dict:
    text = need(answer, "text", str, where + ", an answer")
    start = answer.get("start", answer.get("answer_start"))
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise UserError(f"{where}: the answer {text!r} needs a 'start' (or 'answer_start'): "
                        "the character offset of the answer in the context, from 0")
    if context[start : start + len(text)] != text:
        found = context[start : start + len(text)]
        raise UserError(f"{where}: the answer {text!r} is not at character {start} of the context "
                        f"(that is {found!r}): fix its start")
    return {"text": text, "start": start}
