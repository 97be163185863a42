"""What the generated paragraphs say: three kinds (a person's life, a town, a ship), each a
set of facts. A fact is a few ways to say one sentence and the questions it answers,
each question in several wordings, with the slot that holds its answer.

In sentence templates {S} is the paragraph's subject as a later sentence names it (a
pronoun, the surname or the full name); a question's answer slot always appears in every
wording of its fact's sentence, so the answer is a span of that very sentence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from llmcli_qa.names import Namer

SUBJECTS = ("mathematics painting medicine law astronomy music botany architecture chemistry "
            "engineering navigation philosophy").split()
TRADES = "weaver miller merchant carpenter priest soldier potter fisherman blacksmith baker".split()
PRODUCTS = ("glass cheese rope wool clocks paper bells lace pottery salt cider leather "
            "candles barrels honey").split()
ORG_KINDS = ("Glass Works", "Press", "Academy", "Bank", "Trading Company", "School of Music",
             "Observatory", "Hospital", "Brewery", "Shipyard")
SHIP_KINDS = ("schooner", "steamship", "ferry", "clipper", "barge", "sloop", "paddle steamer")
CARGOES = ("timber", "coal", "grain", "tea", "wool", "iron ore", "salt fish", "mail", "passengers")
ADJECTIVES = "Silent Broken Golden Northern Quiet Last Hidden Winter Distant Long Narrow Crimson".split()
NOUNS = "Harbour Lantern Orchard River Garden Bell Road Tower Meadow Voyage Mirror Island".split()
SMALL = "zero one two three four five six seven eight nine ten eleven twelve".split()


@dataclass
class Fact:
    sentences: tuple[str, ...]  # ways to say it
    questions: tuple[tuple[str, tuple[str, ...]], ...]  # (answer slot, wordings)


@dataclass
class Subject:
    """The slots of one paragraph and how to refer to them."""

    values: dict[str, str] = field(default_factory=dict)
    short: dict[str, str] = field(default_factory=dict)  # a slot's shorter name (a surname)
    alternatives: dict[str, list[str]] = field(default_factory=dict)  # other gold answers, parts of the value
    mentions: list[str] = field(default_factory=list)  # how {S} names the subject in later sentences


def count(rng: random.Random, low: int, high: int, words: bool = True) -> str:
    """A number as written: small ones sometimes in words, large ones with commas."""
    n = rng.randint(low, high)
    if words and n < len(SMALL) and rng.random() < 0.5:
        return SMALL[n]
    return f"{n:,}"


def years(rng: random.Random, n: int, low: int = 1520, high: int = 1990) -> list[str]:
    first = rng.randint(low, high - 12 * n)
    out = [first]
    for _ in range(n - 1):
        out.append(out[-1] + rng.randint(3, 12))
    return [str(y) for y in out]


def person(namer: Namer, subject: Subject, slot: str) -> None:
    first, last = namer.first_name(), namer.surname()
    subject.values[slot] = f"{first} {last}"
    subject.short[slot] = last
    subject.alternatives[slot] = [last]


def measure(subject: Subject, slot: str, number: str, unit: str) -> None:
    subject.values[slot] = f"{number} {unit}"
    subject.alternatives[slot] = [number]


def life(rng: random.Random, namer: Namer) -> tuple[Subject, Fact, list[Fact]]:
    s = Subject()
    person(namer, s, "P")
    s.mentions = [rng.choice(("he", "she")), s.short["P"], s.values["P"]]
    person(namer, s, "Q")
    person(namer, s, "R")
    s.values.update(L1=namer.town(), L2=namer.town(), L3=namer.town(), L4=namer.town(),
                    subject=rng.choice(SUBJECTS), trade=rng.choice(TRADES),
                    O=f"{namer.surname()} {rng.choice(ORG_KINDS)}", N1=count(rng, 2, 9),
                    N2=count(rng, 12, 3000, words=False), N3=count(rng, 2, 11),
                    B=f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}")
    s.values.update(zip(("Y1", "Y2", "Y3", "Y4"), years(rng, 4)))
    s.values["Y5"] = years(rng, 1)[0]
    opening = Fact(
        ("{P} was born in {L1} in {Y1}.", "{P} was born in {Y1} in the town of {L1}.",
         "{P}, the child of a {trade}, was born in {L1} in {Y1}.",
         "In {Y1}, {P} was born in {L1}, one of {N1} children of a {trade}."),
        (("L1", ("Where was {P} born?", "In which town was {P} born?", "What is the birthplace of {P}?",
                 "{P} was born where?")),
         ("Y1", ("When was {P} born?", "In what year was {P} born?", "What year was {P} born in?"))),
    )
    facts = [
        Fact(("{S} studied {subject} under {Q} in {L2}.", "In {L2}, {S} studied {subject} with {Q}.",
              "{Q} taught {S} {subject} in {L2}."),
             (("Q", ("Who taught {P} {subject}?", "Under whom did {P} study {subject}?",
                     "Who was the teacher of {P}?")),
              ("subject", ("What did {P} study?", "Which subject did {P} study in {L2}?")),
              ("L2", ("Where did {P} study {subject}?", "In which town did {P} study?")))),
        Fact(("In {Y2}, {P} founded the {O} in {L2}.", "{P} founded the {O} in {L2} in {Y2}.",
              "The {O} was founded by {P} in {Y2}."),
             (("O", ("What did {P} found in {Y2}?", "What did {P} found?", "Which institution did {P} found?")),
              ("P", ("Who founded the {O}?", "Who was the founder of the {O}?", "By whom was the {O} founded?")),
              ("Y2", ("When was the {O} founded?", "In what year did {P} found the {O}?",
                      "When did {P} found the {O}?")))),
        Fact(("At its height the {O} employed {N2} people.", "The {O} once had {N2} employees."),
             (("N2", ("How many people did the {O} employ?", "How many employees did the {O} have?",
                      "What was the largest number of people working for the {O}?")),)),
        Fact(("{S} wrote {N3} books, of which {B} is the best known.",
              "Of the {N3} books {S} wrote, the best known is {B}.",
              "{B}, published in {Y3}, is the best known of the {N3} books {S} wrote."),
             (("N3", ("How many books did {P} write?", "How many books were written by {P}?")),
              ("B", ("What is the best known book by {P}?", "Which book of {P}'s is the best known?",
                     "What is {P}'s most famous book?")))),
        Fact(("{S} died in {L3} in {Y4}.", "{S} died in {Y4} at {L3}.", "{P} died at {L3} in {Y4}."),
             (("L3", ("Where did {P} die?", "In which town did {P} die?", "Where did {P} spend the last days?")),
              ("Y4", ("When did {P} die?", "In what year did {P} die?", "What year did {P} die in?")))),
        Fact(("{R}, a rival of {P}, was born in {L4} in {Y5}.", "{P}'s rival {R} came from {L4}."),
             (("R", ("Who was the rival of {P}?", "Who was {P}'s rival?", "Name the rival of {P}.")),
              ("L4", ("Where was {R} born?", "Where did {R} come from?", "Which town was {R} from?")))),
    ]
    return s, opening, facts


def town(rng: random.Random, namer: Namer) -> tuple[Subject, Fact, list[Fact]]:
    s = Subject()
    person(namer, s, "F")
    person(namer, s, "M")
    s.values.update(T=namer.town(), T2=namer.town(), R=namer.river(), trade=rng.choice(TRADES),
                    product=rng.choice(PRODUCTS), N1=count(rng, 300, 90000, words=False),
                    N2=count(rng, 2, 12))
    measure(s, "D", count(rng, 3, 80, words=False), rng.choice(("kilometres", "miles")))
    s.values.update(zip(("Y1", "Y2"), years(rng, 2, high=1900)))
    s.values["Y3"] = str(rng.randint(1990, 2023))  # a mayor in office now
    opening = Fact(
        ("{T} is a town on the river {R}, {D} north of {T2}.",
         "{T}, a town on the {R}, lies {D} from {T2}.",
         "On the river {R}, {D} south of {T2}, lies the town of {T}."),
        (("R", ("Which river is {T} on?", "On what river does {T} lie?", "What river flows through {T}?")),
         ("D", ("How far is {T} from {T2}?", "What is the distance between {T} and {T2}?")),
         ("T2", ("Which town lies {D} from {T}?",))),
    )
    facts = [
        Fact(("It was founded in {Y1} by {F}, a {trade} from {T2}.",
              "{F}, a {trade}, founded {T} in {Y1}.", "The town was founded by {F}, a {trade}, in {Y1}."),
             (("F", ("Who founded {T}?", "Who was the founder of {T}?", "By whom was {T} founded?")),
              ("Y1", ("When was {T} founded?", "In what year was {T} founded?", "What year was {T} founded in?")),
              ("trade", ("What was the trade of {F}?", "What did {F} do for a living?")))),
        Fact(("Today {N1} people live there.", "{T} has a population of {N1}.", "The town has {N1} inhabitants."),
             (("N1", ("How many people live in {T}?", "What is the population of {T}?",
                      "How many inhabitants does {T} have?")),)),
        Fact(("The town is known for its {product}, made there since {Y2}.",
              "{T} is famous for {product}, which has been made there since {Y2}."),
             (("product", ("What is {T} known for?", "What is {T} famous for?", "What is made in {T}?")),
              ("Y2", ("Since when has {product} been made in {T}?",
                      "Since what year has {T} made {product}?")))),
        Fact(("{N2} bridges cross the {R} in the town.", "The {R} is crossed by {N2} bridges in {T}."),
             (("N2", ("How many bridges cross the {R} in {T}?", "How many bridges does {T} have?")),)),
        Fact(("The mayor, {M}, was elected in {Y3}.", "{M} has been mayor of {T} since {Y3}.",
              "In {Y3} the town elected {M} as mayor."),
             (("M", ("Who is the mayor of {T}?", "Who was elected mayor of {T}?", "Who leads {T}?")),
              ("Y3", ("When was {M} elected?", "Since when has {M} been mayor?",
                      "In what year was {M} elected mayor?")))),
    ]
    return s, opening, facts


def ship(rng: random.Random, namer: Namer) -> tuple[Subject, Fact, list[Fact]]:
    s = Subject()
    person(namer, s, "B")
    person(namer, s, "C")
    s.values.update(X=namer.ship(), kind=rng.choice(SHIP_KINDS), L1=namer.town(), L2=namer.town(),
                    L3=namer.town(), cargo=rng.choice(CARGOES), N2=count(rng, 4, 240))
    measure(s, "N1", count(rng, 12, 180, words=False), "metres")
    s.mentions = ["she", f"the {s.values['X']}"]
    s.values.update(zip(("Y1", "Y2", "Y3"), years(rng, 3, low=1700)))
    opening = Fact(
        ("The {X} was a {kind} built at {L1} in {Y1}.", "The {kind} {X} was built in {Y1} at {L1}.",
         "Built at {L1} in {Y1}, the {X} was a {kind}."),
        (("L1", ("Where was the {X} built?", "In which port was the {X} built?", "The {X} was built where?")),
         ("Y1", ("When was the {X} built?", "In what year was the {X} built?")),
         ("kind", ("What kind of ship was the {X}?", "What type of vessel was the {X}?"))),
    )
    facts = [
        Fact(("{S} was designed by {B} and was {N1} long.", "{B} designed her, and she was {N1} long.",
              "The {X}, {N1} long, was designed by {B}."),
             (("B", ("Who designed the {X}?", "Who was the designer of the {X}?", "By whom was the {X} designed?")),
              ("N1", ("How long was the {X}?", "What was the length of the {X}?")))),
        Fact(("Her first captain, {C}, commanded a crew of {N2}.",
              "{C} was her first captain, with a crew of {N2}.",
              "Under her first captain {C}, the {X} sailed with {N2} crew."),
             (("C", ("Who was the first captain of the {X}?", "Who first commanded the {X}?",
                     "Who captained the {X} first?")),
              ("N2", ("How many crew did the {X} have?", "How large was the crew of the {X}?",
                      "How many sailors were on the {X}?")))),
        Fact(("{S} carried {cargo} between {L1} and {L2}.", "For years the {X} carried {cargo} to {L2}."),
             (("cargo", ("What did the {X} carry?", "What cargo did the {X} carry?")),
              ("L2", ("To which port did the {X} carry {cargo}?", "Where did the {X} carry {cargo}?")))),
        Fact(("{S} was retired in {Y3} and broken up at {L3}.", "In {Y3} the {X} was retired and broken up at {L3}."),
             (("Y3", ("When was the {X} retired?", "In what year was the {X} retired?")),
              ("L3", ("Where was the {X} broken up?", "Where did the {X} end her days?")))),
    ]
    return s, opening, facts


KINDS = (life, town, ship)
