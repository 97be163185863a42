"""Incident reports and match reports: the key facts (what, where, when, how many, who won
and by how much) among sentences that add colour, other places, other days and numbers
that do not belong in a summary."""

from __future__ import annotations

from llmcli_summarize.words import (DAY_PARTS, DAYS, STREETS, TOWNS, capital, clock, count_words,
                                    distinct, full_name, plural)

BUILDINGS = ("a bakery", "a warehouse", "a primary school", "a block of flats", "a restaurant", "a garage",
             "a hotel", "a sports hall", "a bookshop", "a church hall", "an office building", "a supermarket")


def when(rng) -> tuple[str, str]:
    day, part = rng.choice(DAYS), rng.choice(DAY_PARTS)
    return day, f"on {day} {part}"


def incident(rng) -> tuple[str, str]:
    town, other_town = distinct(rng, TOWNS, 2)
    street, building = rng.choice(STREETS), rng.choice(BUILDINGS)
    day, on_day = when(rng)
    hurt = rng.choice((0, 0, 1, 2, 3, 4, 5))
    kind = rng.choice(("fire", "flood", "crash", "burglary", "gas"))
    if kind == "fire":
        lead = rng.choice((f"A fire broke out at {building} on {street} in {town} {on_day}.",
                           f"{capital(on_day)}, a fire destroyed part of {building} on {street} in {town}."))
        what = f"A fire broke out at {building} on {street} in {town} {on_day}"
        extra = [rng.choice((f"Firefighters from {other_town} helped to put out the flames.",
                             f"{plural(rng.randint(3, 9), 'fire engine')} were sent to the scene."))]
    elif kind == "flood":
        lead = rng.choice((f"Heavy rain flooded {street} in {town} {on_day}.",
                           f"{street} in {town} was flooded after heavy rain {on_day}."))
        what = f"Heavy rain flooded {street} in {town} {on_day}"
        extra = [f"Water reached {building} at the end of the street."]
    elif kind == "crash":
        cars = rng.randint(2, 4)
        lead = rng.choice((f"{capital(plural(cars, 'car'))} collided on {street} in {town} {on_day}.",
                           f"There was a crash involving {plural(cars, 'car')} on {street} in {town} {on_day}."))
        what = f"{capital(plural(cars, 'car'))} collided on {street} in {town} {on_day}"
        extra = [f"The road was closed until {clock(rng, 6, 23)}."]
    elif kind == "burglary":
        worth = rng.choice((800, 1200, 2500, 4000, 7500, 15000))
        lead = rng.choice((f"Thieves broke into {building} on {street} in {town} {on_day}.",
                           f"{capital(building)} on {street} in {town} was burgled {on_day}."))
        what = f"Thieves broke into {building} on {street} in {town} {on_day}, taking goods worth {worth:,} pounds"
        extra = [rng.choice((f"Goods worth {worth:,} pounds were taken.", f"They took goods worth {worth:,} pounds."))]
        hurt = 0
    else:
        evacuated = rng.choice((12, 20, 35, 40, 60, 85, 120, 200))
        lead = rng.choice((f"A gas leak forced {evacuated} people to leave {building} on {street} in {town} {on_day}.",
                           f"{evacuated} people were evacuated from {building} on {street} in {town} {on_day} after a gas leak."))
        what = f"A gas leak at {building} on {street} in {town} {on_day} forced {evacuated} people to leave"
        extra = []
    injuries = (rng.choice(("No one was hurt.", "Nobody was injured.")) if hurt == 0 else
                rng.choice((f"{capital(plural(hurt, 'person', 'people'))} {'was' if hurt == 1 else 'were'} taken to hospital.",
                            f"{capital(count_words(hurt))} {'person was' if hurt == 1 else 'people were'} injured.")))
    result = "no one was hurt" if hurt == 0 else f"{plural(hurt, 'person', 'people')} {'was' if hurt == 1 else 'were'} hurt"
    colour = rng.sample([
        f"It was the {rng.choice(('second', 'third', 'fourth'))} such incident in {town} this year.",
        f"Police asked drivers to avoid the area until {rng.choice(DAYS)}.",
        f"Witnesses said they heard a loud noise just after {clock(rng)}.",
        "A spokesperson said the cause was still being investigated.",
        f"The building was built in {rng.randint(1890, 2005)}.",
        f"{full_name(rng)}, who lives nearby, said it was frightening.",
        f"Local shops on {rng.choice(STREETS)} stayed open.",
    ], rng.randint(1, 2))
    body = extra + [injuries] + colour
    rng.shuffle(body)
    sentences = [lead] + body
    if rng.random() < 0.35:  # some reports open with colour, not with the news
        sentences.insert(0, sentences.pop(sentences.index(colour[0])))
    document = " ".join(sentences)
    summary = f"{what}; {result}." if kind != "burglary" else f"{what}."
    return document, summary


SPORTS = {  # sport: (lowest, highest score, what a star does, unit of the star's tally)
    "football": (0, 5, "scored", "goal"),
    "hockey": (0, 6, "scored", "goal"),
    "basketball": (58, 112, "scored", "point"),
    "rugby": (3, 41, "scored", "point"),
}
MASCOTS = ("Eagles", "Foxes", "Rangers", "Lions", "Rovers", "Wolves", "Hawks", "Bears", "Tigers", "Owls")
VENUES = ("Park Stadium", "the Riverside Ground", "Victoria Park", "the Town Arena", "Mill Lane", "the Oval")


def team(rng, town: str) -> str:
    return f"the {town} {rng.choice(MASCOTS)}"


def match(rng) -> tuple[str, str]:
    sport = rng.choice(tuple(SPORTS))
    low, high, verb, unit = SPORTS[sport]
    towns = distinct(rng, TOWNS, 3)
    winner, loser, next_rival = (team(rng, t) for t in towns)
    won, lost = sorted(rng.sample(range(low, high + 1), 2), reverse=True)
    day, venue, star = rng.choice(DAYS), rng.choice(VENUES), full_name(rng)
    tally = min(won, rng.randint(1, 3)) if unit == "goal" else rng.randint(max(1, won // 5), max(1, won // 2))
    score = f"{won}-{lost}"
    lead = rng.choice((
        f"{capital(winner)} beat {loser} {score} at {venue} on {day}.",
        f"{capital(winner)} won {score} against {loser} on {day} at {venue}.",
        f"{capital(loser)} lost {score} to {winner} at {venue} on {day}.",
        f"On {day}, {winner} defeated {loser} {score} at {venue}.",
    ))
    star_line = rng.choice((
        f"{star} {verb} {plural(tally, unit)} for the winners.",
        f"The star of the {sport} game was {star}, who {verb} {plural(tally, unit)}.",
    ))
    colour = rng.sample([
        f"A crowd of {rng.randint(8, 95) * 100:,} watched the game.",
        f"{capital(winner)} play {next_rival} next {rng.choice(DAYS)}.",
        f"It was their {rng.choice(('second', 'third', 'fifth'))} win in a row.",
        f"\"We never gave up,\" said coach {full_name(rng)}.",
        f"{capital(loser)} had won the last meeting between the teams {rng.randint(2, 5)}-{rng.randint(0, 1)}.",
        "Rain fell for most of the second half.",
    ], rng.randint(1, 2))
    body = [star_line] + colour
    rng.shuffle(body)
    document = " ".join([lead] + body)
    summary = f"{capital(winner)} beat {loser} {score} at {venue} on {day}; {star} {verb} {plural(tally, unit)}."
    return document, summary
