"""The pieces of a generated review, each with the polarity it expresses: a clause about
one aspect ("the battery was not reliable"), a fragment ("not bad at all"), a verdict
("I would go back"). Each returns (text, negations), where negations are the
"negator:adjective" pairs it used, so that some pairs can be kept out of training."""

from __future__ import annotations

import random

from llmcli_sentiment.lexicon import (AGAIN, DOMAINS, GENERAL, IDIOMS, INTENSIFIERS, NEGATORS, OBJECTS, POSITIVE,
                                     VERDICTS, adjective)

# what a whole item is called in fragments ("a wonderful film")
ITEMS = {"film": ("film", "movie", "story", "watch"), "restaurant": ("restaurant", "place", "meal", "dinner"),
         "product": ("product", "buy", "purchase", "gadget")}


def opposite(polarity: str) -> str:
    return "negative" if polarity == POSITIVE else POSITIVE


_WORDS: dict[tuple, list[str]] = {}


def words_of(words: list[str], negatable: bool) -> list[str]:
    """The adjectives of a lexicon list (those that read naturally negated, if asked)."""
    key = (id(words), negatable)
    if key not in _WORDS:
        _WORDS[key] = [word for word, ok in map(adjective, words) if ok or not negatable]
    return _WORDS[key]


def pick_adjective(rng: random.Random, group, polarity: str, negatable: bool = False, own: float = 0.6) -> str:
    """An adjective of the polarity that fits the group (with probability `own`), or one
    that fits any subject; maybe only those that read naturally negated."""
    index = 1 if polarity == POSITIVE else 2
    pool = group[index] if rng.random() < own else GENERAL[index - 1]
    return rng.choice(words_of(pool, negatable))


def subject(rng: random.Random, group) -> tuple[str, bool]:
    """("the jokes", True): a subject of the group and whether it is plural."""
    word = rng.choice(group[0])
    return word.rstrip("*"), word.endswith("*")


def verb(rng: random.Random, plural: bool, negated: bool = False) -> str:
    present = rng.random() < 0.3
    be = ("are" if plural else "is") if present else ("were" if plural else "was")
    if negated and rng.random() < 0.4:
        return be + "n't"
    return be + " not" if negated else be


def negated_phrase(rng: random.Random, adj: str, plain_not: str = "not") -> tuple[str, str]:
    """("never dull", "never:dull"): an adjective with a negator in front (or around it)."""
    negator = rng.choice(NEGATORS)
    if negator == "not at all":
        phrase = f"not {adj} at all" if rng.random() < 0.7 else f"not at all {adj}"
    elif negator == "not":
        phrase = f"{plain_not} {adj}"
    else:
        phrase = f"{negator} {adj}"
    return phrase, f"{negator}:{adj}"


def aspect_clause(rng: random.Random, domain: str, polarity: str, group=None) -> tuple[str, list[str]]:
    """"the food was really tasty", "the service was never slow": an aspect of the domain
    judged with the polarity."""
    group = group or rng.choice(DOMAINS[domain])
    who, plural = subject(rng, group)
    form = rng.random()
    if form < 0.33:
        return f"{who} {verb(rng, plural)} {pick_adjective(rng, group, polarity)}", []
    if form < 0.58:
        adj = pick_adjective(rng, group, polarity)
        return f"{who} {verb(rng, plural)} {rng.choice(INTENSIFIERS)} {adj}", []
    adj = pick_adjective(rng, group, opposite(polarity), negatable=True)
    if rng.random() < 0.45:  # "was not", "wasn't", "were not at all"
        be = verb(rng, plural, negated=True)
        if rng.random() < 0.35:
            return f"{who} {be} {adj} at all", [f"not at all:{adj}"]
        return f"{who} {be} {adj}", [f"not:{adj}"]
    phrase, pair = negated_phrase(rng, adj)
    return f"{who} {verb(rng, plural)} {phrase}", [pair]


def fragment(rng: random.Random, domain: str, polarity: str) -> tuple[str, list[str]]:
    """A judgement without a subject: "absolutely wonderful", "not bad at all", "a
    really tasty meal"."""
    group = DOMAINS[domain][0]
    form = rng.random()
    if form < 0.25:
        return rng.choice(IDIOMS[polarity]), []
    form = rng.random()
    if form < 0.2:
        return pick_adjective(rng, group, polarity, own=0.4), []
    if form < 0.4:
        return f"{rng.choice(INTENSIFIERS)} {pick_adjective(rng, group, polarity, own=0.4)}", []
    if form < 0.55:
        adj = pick_adjective(rng, group, polarity, own=0.4)
        intensifier = rng.choice(("", "", "really ", "truly ", "very ", "absolutely "))
        article = "an" if (intensifier or adj)[0] in "aeiou" else "a"
        return f"{article} {intensifier}{adj} {rng.choice(ITEMS[domain])}", []
    adj = pick_adjective(rng, group, opposite(polarity), negatable=True, own=0.4)
    phrase, pair = negated_phrase(rng, adj)
    return phrase, [pair]


def verdict(rng: random.Random, domain: str, polarity: str) -> tuple[str, list[str]]:
    """A whole-review judgement: "I would go back", "I loved this film", "a waste of money"."""
    it = rng.choice(OBJECTS[domain]) if rng.random() < 0.35 else "it"
    return rng.choice(VERDICTS[polarity]).format(again=AGAIN[domain], it=it), []


def judgement(rng: random.Random, domain: str, polarity: str, verdicts: float = 0.3,
              fragments: float = 0.2) -> tuple[str, list[str]]:
    """Any of the three: a verdict, a fragment or an aspect clause."""
    draw = rng.random()
    if draw < verdicts:
        return verdict(rng, domain, polarity)
    if draw < verdicts + fragments:
        return fragment(rng, domain, polarity)
    return aspect_clause(rng, domain, polarity)
