"""The sentiment-reviews dataset, generated: short reviews of films, restaurants and
products, labelled negative or positive, the same on every machine.

The label is decided the way a reader decides it: negation flips an adjective ("not
good", "never disappointing", "not bad at all"); after "but", "however" or "although"
the second part wins ("the start was slow but the ending was wonderful"); a mixed review
ends with a verdict that decides ("...overall, I would go back").

The splits share no text. A fifth of the negator-adjective pairs of the domain words
("never soggy", "far from sturdy") never occurs in training; each of them belongs to
validation or to test. Half the reviews of those splits use one of their pairs, so the
test measures whether the model composes negation with words it has only seen otherwise.
The other half, and all training reviews, use no held-out pair, and each of their texts
belongs to one split, fixed by its hash.
"""

from __future__ import annotations

import random
from functools import lru_cache

from llmcli.datasets import hash_percent, split_by_hash

from llmcli_sentiment.clauses import aspect_clause, fragment, judgement, opposite, pick_adjective, subject, verdict
from llmcli_sentiment.lexicon import DOMAINS, GENERAL, INTENSIFIERS, LABELS, NEGATORS, OVERALL, POSITIVE, adjective

SIZES = {"train": 20_000, "validation": 500, "test": 1_000}
SHARES = {"validation": 5, "test": 10}  # percent of texts; the rest are training texts
HELD_OUT_PERCENT = 20  # of the negated pairs of domain adjectives


bucket = hash_percent


def split_of(text: str) -> str:
    """The one split a text may be in, fixed by its hash (case and spacing ignored)."""
    return split_by_hash(" ".join(text.lower().split()), SHARES)


@lru_cache(maxsize=None)
def held_out_pairs() -> dict[str, str]:
    """{pair: split}: the negator-adjective pairs kept out of training, a fifth of those of
    the domain adjectives (by hash), each given to validation or test. The general
    adjectives ("not bad", "never boring") are always trained: people type them most."""
    general = {adjective(w)[0] for words in GENERAL for w in words}
    domain = {adjective(w)[0] for groups in DOMAINS.values() for g in groups for w in g[1] + g[2]
              if adjective(w)[1]}
    pairs = {}
    for pair in (f"{n}:{a}" for n in NEGATORS for a in sorted(domain - general)):
        b = bucket(f"held-out {pair}")
        if b < HELD_OUT_PERCENT:
            pairs[pair] = "validation" if b < HELD_OUT_PERCENT // 3 else "test"
    return pairs


# -- review shapes: each (rng, domain, label) -> (text, negated pairs) ------------------------


def single(rng, domain, label):
    return aspect_clause(rng, domain, label) if rng.random() < 0.7 else fragment(rng, domain, label)


def two_alike(rng, domain, label):
    (a, p), (b, q) = aspect_clause(rng, domain, label), judgement(rng, domain, label, verdicts=0.2)
    joint = rng.choice((" and ", ", and ", ". ", ", "))
    return a + joint + b, p + q


def with_verdict(rng, domain, label):
    """"not bad at all, I loved it", "the soup was tasty. highly recommended"."""
    (a, p) = fragment(rng, domain, label) if rng.random() < 0.55 else aspect_clause(rng, domain, label)
    b, _ = verdict(rng, domain, label)
    return a + rng.choice((", ", ". ", "! ", " - ")) + b, p


def contrast(rng, domain, label):
    """"the start was slow but the ending was wonderful": the part after "but" wins."""
    a, p = judgement(rng, domain, opposite(label), verdicts=0.1, fragments=0.2)
    b, q = judgement(rng, domain, label, verdicts=0.3, fragments=0.1)
    joint = rng.choice((" but ", ", but ", ". but ", ". however, ", "; however, ", ", yet ", ". still, "))
    return a + joint + b, p + q


def concession(rng, domain, label):
    """"although the food was cold, the staff were lovely": the main clause wins, first or last."""
    a, p = aspect_clause(rng, domain, opposite(label))
    b, q = judgement(rng, domain, label, verdicts=0.35, fragments=0.0)
    if rng.random() < 0.5:
        return f"{rng.choice(('although', 'even though', 'though', 'while'))} {a}, {b}", p + q
    return f"{b}, {rng.choice(('although', 'even though', 'though'))} {a}", p + q


def mixed(rng, domain, label):
    """Several aspects of both polarities, then the verdict that decides."""
    count = rng.choice((2, 2, 3))
    polarities = [opposite(label)] + [rng.choice(LABELS) for _ in range(count - 1)]
    rng.shuffle(polarities)
    groups = rng.sample(DOMAINS[domain], count)
    parts, pairs = [], []
    for polarity, group in zip(polarities, groups):
        text, p = aspect_clause(rng, domain, polarity, group)
        parts.append(text)
        pairs += p
    body = ", ".join(parts[:-1]) + rng.choice((" and ", ", ", ", but ")) + parts[-1]
    end, q = judgement(rng, domain, label, verdicts=0.75, fragments=0.25)
    return f"{body}. {rng.choice(OVERALL)} {end}", pairs + q


def expectation(rng, domain, label):
    """"I expected it to be boring, but it was gripping"."""
    if rng.random() < 0.5:
        whole = DOMAINS[domain][0]
        before = adjective(rng.choice([w for w in whole[2 if label == POSITIVE else 1]]))[0]
        after = adjective(rng.choice([w for w in whole[1 if label == POSITIVE else 2]]))[0]
        intensifier = rng.choice(("", "", f"{rng.choice(INTENSIFIERS)} "))
        return f"I expected it to be {before}, but it was {intensifier}{after}", []
    openers = (("I was not expecting much", "I had low expectations", "I was skeptical at first")
               if label == POSITIVE else
               ("I had high hopes", "I wanted to love it", "the reviews were great", "it looked promising"))
    b, q = judgement(rng, domain, label, verdicts=0.3, fragments=0.1)
    return f"{rng.choice(openers)}, but {b}", q


def only(rng, domain, label):
    """"the only good thing was the music" (negative); "my only complaint is the price" (positive)."""
    group = rng.choice(DOMAINS[domain])
    who, plural = subject(rng, group)
    if label == POSITIVE:
        core = rng.choice(("the only problem was", "my only complaint is", "the only downside was",
                           "the only thing I didn't like was")) + f" {who}"
    else:
        core = rng.choice(("the only good thing was", "the only thing I liked was",
                           "the only redeeming feature was")) + f" {who}"
    if rng.random() < 0.5:
        a, p = judgement(rng, domain, label, verdicts=0.4, fragments=0.3)
        return f"{a}. {core}", p
    return core, []


def not_only(rng, domain, label):
    """"not only funny but also moving": a "not" that negates nothing."""
    whole = DOMAINS[domain][0]
    first, second = (pick_adjective(rng, whole, label) for _ in range(2))
    if rng.random() < 0.5:
        return f"not only {first} but also {second}", []
    b, q = judgement(rng, domain, label, verdicts=0.5, fragments=0.0)
    return f"not only {first} but also {second}. {b}", q


def just_verdict(rng, domain, label):
    a, _ = verdict(rng, domain, label)
    if rng.random() < 0.4:
        b, p = fragment(rng, domain, label)
        return f"{b}. {a}", p
    return a, []


SHAPES = ((single, 14), (two_alike, 9), (with_verdict, 14), (contrast, 16), (concession, 8), (mixed, 14),
          (expectation, 6), (only, 6), (not_only, 4), (just_verdict, 9))


def sentence_case(text: str) -> str:
    """Capital letters where sentences start, and for "I"; a full stop at the end."""
    words = text.split(" ")
    words = ["I" + w[1:] if w == "i" or w.startswith("i'") else w for w in words]
    out = " ".join(words)
    for stop in (". ", "! "):
        out = stop.join(p[:1].upper() + p[1:] for p in out.split(stop))
    return out if out[-1] in ".!" else out + "."


def review(rng: random.Random, label: str) -> tuple[dict, list[str]]:
    domain = rng.choice(sorted(DOMAINS))
    shape = rng.choices([s for s, _ in SHAPES], [w for _, w in SHAPES])[0]
    text, pairs = shape(rng, domain, label)
    text = sentence_case(text)
    if rng.random() < 0.08:
        text = text[:-1] + "!"
    return {"text": text, "label": label, "domain": domain}, pairs


def belongs(text: str, pairs: list[str], split: str, held_out: bool) -> bool:
    """Whether a review may be one of `split`'s (one that uses held-out pairs, if asked)."""
    owners = {held_out_pairs().get(p) for p in pairs} - {None}
    if held_out:
        return owners == {split}
    return not owners and split_of(text) == split


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` reviews of `split`, half of each label, in a shuffled order. Validation and
    test reviews are distinct; half of them use a negated pair training never shows."""
    rng = random.Random(f"sentiment-reviews-{seed}-{split}")
    out, seen = [], set()
    for i in range(count):
        label = LABELS[i % 2]
        held_out = split != "train" and i % 4 < 2
        for _ in range(100_000):
            example, pairs = review(rng, label)
            text = example["text"]
            if belongs(text, pairs, split, held_out) and (split == "train" or text not in seen):
                break
        else:  # the lexicon cannot give enough distinct reviews: a bug, not a user error
            raise RuntimeError(f"could not generate {count} {split} reviews")
        seen.add(text)
        example["unseen_negation"] = held_out  # eval reports accuracy on these apart
        out.append(example)
    rng.shuffle(out)
    return out
