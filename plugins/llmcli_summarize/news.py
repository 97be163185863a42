"""News items and notices: a company or a council announces something (what, where, when,
how many, how much), or a message tells a team that a meeting has moved. The distractors
are the background a reporter adds (a founding year, a quote, last year's figures) and,
in notices, the old arrangement that no longer holds."""

from __future__ import annotations

from llmcli_summarize.words import DAYS, FIRST_NAMES, MONTHS, STREETS, TOWNS, clock, distinct, full_name

COMPANIES = ("Brightway", "Northstar", "Greenleaf", "Bluewave", "Ironbridge", "Sunfield", "Clearwater",
             "Redwood", "Silverline", "Oakmont", "Fastlane", "Harbourside")
INDUSTRIES = (("bicycle maker", "factory"), ("software company", "office"), ("bakery chain", "bakery"),
              ("furniture maker", "workshop"), ("supermarket chain", "store"), ("shipping firm", "depot"),
              ("toy maker", "factory"), ("solar panel maker", "plant"))
PROJECTS = ("library", "swimming pool", "bus station", "park", "sports centre", "car park", "school",
            "health centre", "cycle path", "skate park")


def company(rng) -> tuple[str, str]:
    name = rng.choice(COMPANIES)
    industry, site = rng.choice(INDUSTRIES)
    town = rng.choice(TOWNS)
    month, jobs = rng.choice(MONTHS), rng.choice((25, 40, 60, 80, 120, 150, 200, 250, 300, 450, 600))
    boss = full_name(rng)
    lead = rng.choice((
        f"{name}, a {industry}, will open a new {site} in {town} in {month}, creating {jobs} jobs.",
        f"The {industry} {name} plans to open a {site} in {town} in {month}. The move will create {jobs} jobs.",
        f"{jobs} new jobs are coming to {town}: {name}, a {industry}, will open a {site} there in {month}.",
    ))
    colour = rng.sample([
        f"The company was founded in {rng.randint(1950, 2015)} and employs {rng.randint(2, 40) * 100:,} people.",
        f"\"This is a great day for {town},\" said {boss}, its chief executive.",
        f"Last year {name} closed a smaller {site} in {rng.choice([t for t in TOWNS if t != town])}.",
        f"Its shares rose {rng.randint(2, 9)} percent on {rng.choice(DAYS)}.",
        "Local leaders welcomed the news.",
    ], rng.randint(1, 2))
    document = " ".join([lead] + colour)
    summary = f"{name} will open a {site} in {town} in {month}, creating {jobs} jobs."
    return document, summary


def council(rng) -> tuple[str, str]:
    town, project, street = rng.choice(TOWNS), rng.choice(PROJECTS), rng.choice(STREETS)
    cost, month, year = rng.choice((1.2, 2, 2.5, 3, 4.8, 6, 12)), rng.choice(MONTHS), rng.randint(2026, 2030)
    votes_for = rng.randint(9, 20)
    votes_against = rng.randint(1, votes_for - 1)
    lead = rng.choice((
        f"{town} council has approved plans for a new {project} on {street}.",
        f"Plans for a new {project} on {street} in {town} were approved by the council on {rng.choice(DAYS)}.",
    ))
    facts = [f"It will cost {cost:g} million pounds.", f"It is expected to open in {month} {year}."]
    rng.shuffle(facts)
    colour = rng.sample([
        f"Councillors voted {votes_for} to {votes_against} in favour.",
        f"The old {project} closed in {rng.randint(1995, 2022)}.",
        f"\"People have waited long enough,\" said councillor {full_name(rng)}.",
        f"Some residents of {rng.choice(STREETS)} worry about traffic.",
    ], rng.randint(1, 2))
    document = " ".join([lead] + facts + colour) if rng.random() < 0.6 else " ".join([lead] + colour[:1] + facts + colour[1:])
    summary = f"{town} council approved a new {project} on {street}; it will cost {cost:g} million pounds and open in {month} {year}."
    return document, summary


MEETINGS = ("team meeting", "budget review", "training session", "project update", "planning meeting",
            "sales meeting", "safety briefing")
ROOMS = ("Room 4", "Room 12", "Room 21", "the main hall", "the library", "the canteen", "the board room")
REASONS = ("the manager is away", "the room is being painted", "the auditors are visiting",
           "half the team is at a conference", "the new figures are not ready")
BRING = ("your laptops", "last month's reports", "your ideas for the summer", "the sales figures",
         "a pen and paper")


def notice(rng) -> tuple[str, str]:
    sender = rng.choice(FIRST_NAMES)
    meeting = rng.choice(MEETINGS)
    old_day, new_day = distinct(rng, DAYS[:5], 2)
    old_time, new_time, room = clock(rng, 9, 16), clock(rng, 9, 16), rng.choice(ROOMS)
    moved = rng.choice((
        f"the {meeting} planned for {old_day} at {old_time} has moved to {new_day} at {new_time}.",
        f"we have moved the {meeting} from {old_day} to {new_day}. It now starts at {new_time}.",
        f"the {meeting} will not be on {old_day}. It will be on {new_day} at {new_time} instead.",
    ))
    lines = [rng.choice(("Hi everyone,", "Hello all,", "Dear team,")) + " " + moved,
             f"We will meet in {room}.", f"This is because {rng.choice(REASONS)}."]
    if rng.random() < 0.6:
        lines.append(f"Please bring {rng.choice(BRING)}.")
    if rng.random() < 0.4:
        lines.append(f"The {rng.choice([m for m in MEETINGS if m != meeting])} on {rng.choice(DAYS[:5])} stays as it is.")
    lines[1:] = rng.sample(lines[1:], len(lines) - 1)
    document = " ".join(lines) + f" Thanks, {sender}"
    summary = f"{sender} tells the team that the {meeting} has moved from {old_day} to {new_day} at {new_time} in {room}."
    return document, summary
