"""Stories from the files people have: plain text (TinyStories' layouts, or any text at
all) and the standard record formats. Each story becomes {"opening": its first sentence,
"rest": the rest}.

Plain text is cut into stories by the first rule that fits:

1. `<|endoftext|>` between stories (TinyStories' own release): cut there.
2. A collection of stories whose paragraphs, like the stories, are separated by blank
   lines (the TinyStories subsets): when at least 5% of the lines begin with a story
   opening ("Once upon a time", "Once there was", "Long ago", ...), such a line begins a
   new story and every other paragraph continues the story before it. If the file also
   puts single line breaks between whole paragraphs (one paragraph per line) often enough,
   those single breaks separate stories too.
3. Any other text: its blank-line-separated blocks, short ones joined together.

Stories longer than MAX_CHARS are cut at paragraph (else sentence) ends into pieces, so
that a model's window holds each one.
"""

from __future__ import annotations

import re
from pathlib import Path

from llmcli.errors import UserError

MARKER = "<|endoftext|>"
OPENERS = re.compile(r"(once upon a time|once,? there (was|were|lived)|there (was|were) once|there once|"
                     r"long,? long ago|long ago|a long time ago)\b", re.IGNORECASE)
OPENER_SHARE = 0.05  # of non-empty lines, for rule 2
SINGLE_BREAKS = 0.10  # share of paragraph breaks that are single line breaks, for them to separate stories
WHOLE_PARAGRAPH_LINE = 100  # median characters of a line when each line is a whole paragraph
MIN_CHARS = 300  # any text: blocks are joined until a piece has this many characters
MAX_CHARS = 2000  # longer stories are cut into pieces
SENTENCE_END = re.compile(r"[.!?]+[\"'”’)]*(?=\s|$)")
MAX_OPENING = 300
TEXT_SUFFIXES = (".txt", ".text", ".md")


def split_story(text: str) -> dict | None:
    """{"opening": the first sentence, "rest": the others}, or None for a single sentence."""
    text = text.strip()
    match = SENTENCE_END.search(text)
    end = match.end() if match and match.end() <= MAX_OPENING else None
    if end is None:  # no sentence end near the start: the first line, else the first words
        line_end = text.find("\n")
        end = line_end if 0 < line_end <= MAX_OPENING else len(" ".join(text[:MAX_OPENING].split(" ")[:-1]))
    opening, rest = text[:end].strip(), text[end:].strip()
    if not opening or not rest:
        return None
    return {"opening": opening, "rest": rest}


def story_texts(text: str) -> list[str]:
    """The stories in a plain text, by the rules in the module's docstring."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if MARKER in text:
        pieces = [p.strip() for p in text.split(MARKER)]
    else:
        lines = [(line.strip(), gap) for line, gap in lines_with_gaps(text)]
        openers = sum(bool(OPENERS.match(line)) for line, _ in lines)
        if lines and openers >= OPENER_SHARE * len(lines):
            pieces = by_openers(lines)
        else:
            pieces = joined(blocks(lines))
    return [chunk for piece in pieces if piece for chunk in cut(piece)]


def lines_with_gaps(text: str) -> list[tuple[str, str]]:
    """Non-empty lines, each with the break before it: "line" (a single line break) or "blank"."""
    out, gap = [], "blank"
    for line in text.split("\n"):
        if line.strip():
            out.append((line, gap))
            gap = "line"
        else:
            gap = "blank"
    return out


def by_openers(lines: list[tuple[str, str]]) -> list[str]:
    """Rule 2: a story begins at each line with a story opening (and at single line breaks
    between whole paragraphs, in files that use them often)."""
    breaks = [gap for _, gap in lines[1:]]
    lengths = sorted(len(line) for line, _ in lines)
    single_separates = (breaks.count("line") >= SINGLE_BREAKS * max(1, len(breaks))
                        and lengths[len(lengths) // 2] >= WHOLE_PARAGRAPH_LINE)
    stories: list[list[str]] = []
    for line, gap in lines:
        if not stories or OPENERS.match(line) or (single_separates and gap == "line"):
            stories.append([line])
        else:
            stories[-1].append(line)
    return ["\n".join(paragraphs) for paragraphs in stories]


def blocks(lines: list[tuple[str, str]]) -> list[str]:
    """Blocks of lines between blank lines."""
    out: list[list[str]] = []
    for line, gap in lines:
        if gap == "blank" or not out:
            out.append([line])
        else:
            out[-1].append(line)
    return ["\n".join(block) for block in out]


def joined(pieces: list[str]) -> list[str]:
    """Short blocks joined to their neighbours until each has MIN_CHARS characters."""
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) < MIN_CHARS:
            out[-1] += "\n" + piece
        else:
            out.append(piece)
    if len(out) > 1 and len(out[-1]) < MIN_CHARS:  # a short tail joins the piece before it
        out[-2] += "\n" + out.pop()
    return out


def cut(story: str) -> list[str]:
    """A story in pieces of at most MAX_CHARS, cut after a paragraph, else after a sentence
    (a sentence longer than that is a piece of its own, cut later by the model's window)."""
    if len(story) <= MAX_CHARS:
        return [story]
    units = re.split(r"(?<=\n)", story)
    if max(len(u) for u in units) > MAX_CHARS:
        units = [u for p in units for u in re.split(r"(?<=[.!?])\s+", p)]
    pieces, current = [], ""
    for unit in units:
        if current and len(current) + len(unit) + 1 > MAX_CHARS:
            pieces.append(current.strip())
            current = ""
        current += unit if current.endswith("\n") or not current else " " + unit
    if current.strip():
        pieces.append(current.strip())
    return pieces


def read_stories(path) -> list[dict]:
    """Examples from a plain text file (maybe gzipped)."""
    from llmcli.datasets.formats import read_text

    path = Path(path)
    text = read_text(path)
    if not text.strip():
        raise UserError(f"{path}: empty file: expected stories separated by blank lines, or any text")
    examples = [e for e in map(split_story, story_texts(text)) if e is not None]
    if not examples:
        raise UserError(f"{path}: no story of more than one sentence in it: a story needs an opening "
                        "sentence and more after it")
    return examples


def is_text_file(path: Path) -> bool:
    from llmcli.datasets.formats import SUFFIXES

    name = path.name.lower().removesuffix(".gz")
    return not name.endswith(SUFFIXES)


def text_split_files(folder: Path) -> dict[str, Path]:
    """train.txt, validation.txt (or val, valid, dev) and test.txt in a folder, maybe gzipped."""
    from llmcli.datasets import split_files

    return split_files(folder, TEXT_SUFFIXES)


def record_story(record, where: str) -> dict:
    """A record with "opening" and "rest" as it is; one with only "text" (or "story") is split."""
    if isinstance(record, dict) and not ("opening" in record and "rest" in record):
        for name in ("text", "story"):
            if isinstance(record.get(name), str):
                example = split_story(record[name])
                if example is None:
                    raise UserError(f"{where}: the story in {name!r} has one sentence: it needs an opening "
                                    "sentence and more after it")
                return {**{k: v for k, v in record.items() if k != name}, **example}
    return record
