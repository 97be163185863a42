"""The qa-facts dataset, generated: short paragraphs about invented people, towns and
ships, each with several questions whose answers are spans of the paragraph.

A paragraph opens with its subject, then says most of its other facts in a shuffled
order, each in one of a few wordings; it names several people, places, years and numbers,
so the answer to a question is rarely the first name or number in it. Questions come in
several wordings and name people by full name or surname. Every invented name belongs to
one split (names.split_of), so test paragraphs and their names are never seen in training.
"""

from __future__ import annotations

import random
import string

from llmcli_qa.facts import KINDS, Fact, Subject
from llmcli_qa.names import Namer

SIZES = {"train": 20_000, "validation": 500, "test": 1_000}
QUESTIONS_PER_PARAGRAPH = (3, 6)


def fields_of(template: str) -> list[tuple[str, str | None]]:
    return [(literal, name) for literal, name, _, _ in string.Formatter().parse(template)]


def mention(subject: Subject, rng: random.Random, at_start: bool) -> str:
    """How a later sentence names the paragraph's subject."""
    text = rng.choice(subject.mentions)
    return text[0].upper() + text[1:] if at_start else text


def say(template: str, subject: Subject, rng: random.Random, offset: int) -> tuple[str, dict[str, int]]:
    """A sentence and where each slot's value starts in the paragraph (offset: where the
    sentence starts)."""
    text, starts = "", {}
    for literal, name in fields_of(template):
        text += literal
        if name is None:
            continue
        if name == "S":
            text += mention(subject, rng, at_start=not text)
            continue
        starts.setdefault(name, offset + len(text))
        text += subject.values[name]
    return text[0].upper() + text[1:], starts


def ask(template: str, subject: Subject, rng: random.Random) -> str:
    """A question, with people named in full or by surname."""
    parts = []
    for literal, name in fields_of(template):
        parts.append(literal)
        if name is not None:
            short = subject.short.get(name)
            parts.append(short if short and rng.random() < 0.3 else subject.values[name])
    return "".join(parts)


def answers(context: str, subject: Subject, slot: str, start: int) -> list[dict]:
    """The slot's value at `start`, then its shorter gold answers (a surname, a bare number)."""
    value = context[start : start + len(subject.values[slot])]  # as written: maybe capitalized
    out = [{"text": value, "start": start}]
    for part in subject.alternatives.get(slot, []):
        out.append({"text": part, "start": start + subject.values[slot].index(part)})
    return out


def paragraph(rng: random.Random, namer: Namer) -> tuple[str, list[tuple[Fact, dict[str, int]]], Subject]:
    subject, opening, facts = rng.choice(KINDS)(rng, namer)
    chosen = rng.sample(facts, k=rng.randint(len(facts) - 2, len(facts)))
    if rng.random() < 0.6:  # mostly in the natural order (a life from birth to death)
        chosen.sort(key=facts.index)
    sentences, said = [], []
    offset = 0
    for fact in [opening, *chosen]:
        text, starts = say(rng.choice(fact.sentences), subject, rng, offset)
        sentences.append(text)
        said.append((fact, starts))
        offset += len(text) + 1
    return " ".join(sentences), said, subject


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` questions of `split`, in paragraphs of 3 to 6 questions each."""
    rng = random.Random(f"qa-facts-{seed}-{split}")
    out: list[dict] = []
    number = 0
    while len(out) < count:
        namer = Namer(rng, split)
        context, said, subject = paragraph(rng, namer)
        asks = [(slot, wordings, starts) for fact, starts in said for slot, wordings in fact.questions]
        for q, (slot, wordings, starts) in enumerate(rng.sample(asks, k=min(len(asks), rng.randint(*QUESTIONS_PER_PARAGRAPH)))):
            if len(out) == count:
                break
            out.append({"id": f"{split}-{number}-{q}", "question": ask(rng.choice(wordings), subject, rng),
                        "context": context, "answers": answers(context, subject, slot, starts[slot])})
        number += 1
    return out
