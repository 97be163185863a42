"""Chat dialogues in which two people arrange to meet: what, which day, what time, where.

The facts are negotiated: a day, a time or a place is often proposed, turned down with a
reason, and replaced, and small talk mentions other days, names and numbers. The summary
states only what was agreed, so a model has to follow the conversation, not copy the
first day it reads.
"""

from __future__ import annotations

from llmcli_summarize.words import DAYS, FIRST_NAMES, capital, clock, distinct

# (what they will do, as a verb phrase; the same as a gerund; the hours it may start)
ACTIVITIES = (
    ("have lunch", "having lunch", 11, 14), ("have coffee", "having coffee", 8, 17),
    ("go for a run", "going for a run", 7, 19), ("see a film", "seeing a film", 14, 21),
    ("have dinner", "having dinner", 18, 21), ("study for the exam", "studying for the exam", 9, 19),
    ("play tennis", "playing tennis", 8, 19), ("go swimming", "going swimming", 7, 19),
    ("visit the museum", "visiting the museum", 10, 16), ("go shopping", "going shopping", 9, 18),
    ("practise the presentation", "practising the presentation", 9, 17),
    ("walk the dogs", "walking the dogs", 7, 19), ("play chess", "playing chess", 10, 21),
    ("cook together", "cooking together", 17, 20),
)
PLACES = (
    "the Blue Cafe", "the library", "the station", "the park gate", "the cinema", "the gym", "Luigi's",
    "the old bridge", "the market", "the bus stop", "the sports centre", "my flat", "your office",
    "the Red Lion", "the bakery", "the lake",
)
PERSONAL = ("my flat", "your office")  # said from the speaker's side: the summary names whose
EXCUSES = (
    "a dentist appointment", "a meeting until late", "my sister's birthday", "a football match",
    "an exam", "to work late", "a driving lesson", "guests coming over", "a doctor's appointment",
)


def propose(rng, verb: str, gerund: str, day: str) -> str:
    return rng.choice((
        f"Do you want to {verb} on {day}?",
        f"Shall we {verb} on {day}?",
        f"Would you like to {verb} on {day}?",
        f"Are you free on {day}? We could {verb}.",
        f"How about {gerund} on {day}?",
    ))


def refuse_day(rng, day: str, other: str) -> str:
    excuse = rng.choice(EXCUSES)
    return rng.choice((
        f"{day} is no good, I have {excuse}. What about {other}?",
        f"I can't on {day}, I have {excuse}. How about {other}?",
        f"Sorry, on {day} I have {excuse}. Could we do {other} instead?",
    ))


def accept(rng, thing: str) -> str:
    return rng.choice((f"{thing} is fine.", f"Sure, {thing} works for me.", f"OK, {thing} then.",
                       f"{thing} is perfect.", f"Great, {thing} it is."))  # thing: a day or a time


def agree_day(rng, a: str, b: str, verb: str, gerund: str) -> tuple[list[tuple[str, str]], str]:
    """Turns that settle the day, and the day settled."""
    first, second = distinct(rng, DAYS, 2)
    turns = [(a, propose(rng, verb, gerund, first))]
    if rng.random() < 0.5:
        turns += [(b, refuse_day(rng, first, second)), (a, accept(rng, second))]
        return turns, second
    turns.append((b, rng.choice((f"Yes, {first} sounds good.", f"Sure, I'm free on {first}.",
                                 f"I'd love to. {first} is fine."))))
    return turns, first


def agree_time(rng, a: str, b: str, earliest: int, latest: int) -> tuple[list[tuple[str, str]], str]:
    first, second = clock(rng, earliest, latest), clock(rng, earliest, latest)
    asker, answerer = (a, b) if rng.random() < 0.5 else (b, a)
    turns = [(asker, rng.choice(("What time?", "What time suits you?", "When shall we meet?"))),
             (answerer, rng.choice((f"Let's say {first}.", f"How about {first}?", f"Is {first} OK?")))]
    if first != second and rng.random() < 0.4:
        turns += [(asker, rng.choice((f"{first} is difficult for me. Can we make it {second}?",
                                      f"{first} doesn't suit me. Could we say {second}?"))),
                  (answerer, accept(rng, second))]
        return turns, second
    turns.append((asker, accept(rng, first)))
    return turns, first


def agree_place(rng, a: str, b: str) -> tuple[list[tuple[str, str]], str]:
    first, second = distinct(rng, PLACES, 2)
    asker, answerer = (a, b) if rng.random() < 0.5 else (b, a)
    turns = [(asker, rng.choice(("Where shall we meet?", "Where?", "Where do you want to meet?"))),
             (answerer, rng.choice((f"At {first}?", f"Let's meet at {first}.", f"How about {first}?")))]
    if rng.random() < 0.35:
        refusals = ((f"I'd rather go somewhere else. What about {second}?",) if first in PERSONAL else
                    (f"{capital(first)} is always full. Let's meet at {second}.",
                     f"Not {first}, it's too far for me. What about {second}?"))
        turns += [(asker, rng.choice(refusals)),
                  (answerer, rng.choice((f"Good idea, {second}.", "Fine by me.", f"OK, {second}.")))]
        return turns, second
    turns.append((asker, rng.choice(("Perfect.", "Good.", f"{capital(first)} it is."))))
    return turns, first


def small_talk(rng, a: str, b: str, count: int) -> list[list[tuple[str, str]]]:
    """Exchanges with names, days and numbers that are not the plan."""
    other = rng.choice([n for n in FIRST_NAMES if n not in (a, b)])
    day = rng.choice(DAYS)
    return rng.sample([
        [(a, "How was your weekend?"), (b, rng.choice(("Quiet, I mostly read.", "Busy, we moved the sofa.",
                                                       "Lovely, we went to the sea.")))],
        [(a, f"Did you hear that {other} got a new job?"), (b, f"Yes, {other} starts on {day}.")],
        [(b, "Don't forget your umbrella, it might rain."), (a, "Thanks, I will.")],
        [(b, "By the way, I still have your book."), (a, f"Keep it until {day}.")],
        [(a, f"Is {other} coming too?"), (b, f"No, {other} is away until {day}.")],
        [(b, f"I ran {rng.randint(3, 12)} kilometres this morning."), (a, "Wow, well done!")],
    ], count)


def greeting(rng, a: str, b: str) -> list[tuple[str, str]]:
    return rng.choice((
        [(a, f"Hi {b}!"), (b, f"Hi {a}, how are you?")],
        [(a, f"Hey {b}, are you busy this week?"), (b, "Not too busy. Why?")],
        [(a, f"Hello {b}."), (b, f"Hello {a}!")],
        [(a, f"{b}, I have an idea."), (b, "Go on.")],
        [], [],
    ))


def closing(rng, a: str, b: str) -> list[tuple[str, str]]:
    return rng.choice(([(b, "See you then!")], [(a, "See you!"), (b, "Bye!")], [(b, "Can't wait.")], [], []))


def arrangement(rng) -> tuple[str, str]:
    a, b = distinct(rng, FIRST_NAMES, 2)
    verb, gerund, earliest, latest = rng.choice(ACTIVITIES)
    day_turns, day = agree_day(rng, a, b, verb, gerund)
    time_turns, time = agree_time(rng, a, b, earliest, latest)
    place_turns, place = agree_place(rng, a, b)
    details = [time_turns, place_turns]
    rng.shuffle(details)
    chat = small_talk(rng, a, b, 2)
    turns = greeting(rng, a, b)
    if rng.random() < 0.3:
        turns += chat[0]
    turns += day_turns + details[0] + details[1]
    if rng.random() < 0.3:
        turns += chat[1]
    turns += closing(rng, a, b)
    document = "\n".join(f"{speaker}: {line}" for speaker, line in turns)
    where = whose(place, place_turns, a, b)
    # one wording: what varies between examples is the facts, and which turns hold them
    summary = f"{a} and {b} will {verb} on {day} at {time}. They will meet at {where}."
    return document, summary


def whose(place: str, turns: list[tuple[str, str]], a: str, b: str) -> str:
    """The place as a third person says it: "my flat" is the flat of whoever named it first."""
    speaker = next(speaker for speaker, line in turns if place in line)
    listener = b if speaker == a else a
    return place.replace("my flat", f"{speaker}'s flat").replace("your office", f"{listener}'s office")
