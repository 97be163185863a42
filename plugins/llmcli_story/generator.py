"""The story-tales dataset: short children's stories written by a procedure, the same ones
for the same seed on every machine, no download.

A story has an arc: someone (a hero with a name, a kind and a place) wants something,
tries, meets an obstacle, and overcomes it, with a helper who can do what the obstacle
needs, with a helper the hero was kind to earlier, or with an idea of their own; then it
ends with what they did together and a lesson that fits how it was solved. The opening
line sets the hero, and everything after it must agree with it: the name, the pronouns,
the place, and often the goal.

Each story goes to one split by a hash of its opening line, so no test opening is ever
seen in training: the test measures continuing an opening the model has not met.
"""

from __future__ import annotations

import random

from llmcli.datasets import split_by_hash

from llmcli_story.world import (BOYS, COLORS, FAVORS, GIRLS, GOALS, HELPER_NAMES, HELPERS, HEROES, HOBBIES,
                                LESSONS, OBSTACLES, PLACES, TAILS, TRAITS)

SIZES = {"train": 20_000, "validation": 500, "test": 500}
SHARES = {"validation": 4, "test": 6}  # percent of openings; the rest are training openings
PRONOUNS = {"he": ("he", "him", "his"), "she": ("she", "her", "her")}


def split_of(opening: str) -> str:
    """The split an opening line belongs to, fixed by its hash."""
    return split_by_hash(opening, SHARES)


def generate(split: str, count: int, seed: int) -> list[dict]:
    """`count` distinct stories of `split`, as {"opening", "rest"} examples."""
    rng = random.Random(f"story-{seed}-{split}")
    out, seen = [], set()
    while len(out) < count:
        opening, rest = write_story(rng)
        if split_of(opening) != split or (opening, rest) in seen:
            continue
        seen.add((opening, rest))
        out.append({"opening": opening, "rest": rest})
    return out


def an(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def fill(template: str, slots: dict) -> str:
    """Format the template; slots may hold templates themselves ("to find {his} ball")."""
    text = template.format(**slots)
    return text.format(**slots) if "{" in text else text


def person(prefix: str, pronoun: str) -> dict:
    he, him, his = PRONOUNS[pronoun]
    return {f"{prefix}he": he, f"{prefix}him": him, f"{prefix}his": his,
            f"{prefix.upper()}He": he.capitalize(), f"{prefix.upper()}His": his.capitalize()}


def choose_plot(rng: random.Random):
    """A hero, a goal and an obstacle the hero can't overcome alone."""
    while True:
        hero = rng.choice(HEROES)
        goal = rng.choice(GOALS)
        obstacles = [o for o in goal.obstacles if not hero.can & set(OBSTACLES[o].solutions)]
        if obstacles:
            return hero, goal, rng.choice(obstacles)


# how often the optional sentences appear: variety, yet stories short enough (about 130
# words, some 300 tokens) for a small model's window
OFTEN = {"looks": 0.25, "hobby": 0.15, "sights": 0.2, "feeling": 0.5, "about": 0.2, "yes": 0.5, "thanks": 0.3,
         "share": 0.3}


def hero_pronoun(rng: random.Random, hero) -> str:
    if hero.word in ("girl", "boy"):
        return "she" if hero.word == "girl" else "he"
    return rng.choice(("he", "she"))


def write_story(rng: random.Random) -> tuple[str, str]:
    """(opening line, the rest of the story)."""
    hero, goal, obstacle_name = choose_plot(rng)
    obstacle = OBSTACLES[obstacle_name]
    place = PLACES[rng.choice(goal.places)]
    pronoun = hero_pronoun(rng, hero)
    ability = rng.choice(sorted(obstacle.solutions))
    helper = rng.choice([h for h in HELPERS if ability in h.can and h.word != hero.word])
    helper_pronoun = "she" if helper.word in ("hen", "cow") else rng.choice(("he", "she"))
    slots = {
        "name": rng.choice(GIRLS if pronoun == "she" else BOYS),
        "kind": hero.word, "a_trait": an(f"{rng.choice(TRAITS)} {hero.word}"),
        "where": rng.choice(place.where), "place": place.name, "Place": place.name.capitalize(),
        "weather": rng.choice(place.weather), "hobby": rng.choice(HOBBIES), "color": rng.choice(COLORS),
        "tail": rng.choice(TAILS), "want": rng.choice(goal.wants), "thing": goal.thing,
        "F": rng.choice(HELPER_NAMES[helper_pronoun]), "fkind": helper.word, "a_fkind": an(helper.word),
        **person("", pronoun), **person("f", helper_pronoun),
    }
    resolution = rng.choices(("helper", "returned", "idea"), (5, 2, 3))[0]
    opening, told = rng.choice(OPENINGS)
    lines = setting(rng, hero, place, set(told))
    if resolution == "returned":
        problem, fix = rng.choice(FAVORS)
        lines += ["On the way, " + problem, fix, "\"Thank you!\" said {F}, and {fhe} went on {fhis} way."]
    lines += [rng.choice(goal.tries), rng.choice(obstacle.problems)]
    lines += [rng.choice(FEELINGS)] if rng.random() < OFTEN["feeling"] else []
    if resolution == "idea":
        lines += [rng.choice(IDEAS), rng.choice(goal.own.get("idea", obstacle.ideas)), rng.choice(goal.success),
                  rng.choice(PROUD)]
    else:
        if resolution == "helper":
            lines.append(rng.choice(ARRIVALS))
            lines += [helper.about] if rng.random() < OFTEN["about"] else []
            lines += ["{name} said, \"" + rng.choice(obstacle.asks) + "\""]
            lines += [rng.choice(YES)] if rng.random() < OFTEN["yes"] else []
        else:
            lines += [rng.choice(RETURNS), rng.choice(REPAYS)]
        lines += [rng.choice(goal.own.get(ability, (obstacle.solutions[ability],))), rng.choice(goal.success)]
        lines += [rng.choice(THANKS)] if rng.random() < OFTEN["thanks"] else []
        lines += [rng.choice(goal.share)] if goal.share and rng.random() < OFTEN["share"] else []
    lines.append(rng.choice(goal.lesson or LESSONS[resolution]))
    return fill(opening, slots), " ".join(fill(line, slots) for line in lines)


OPENINGS = (  # (template, what it tells: "place", "want", "hobby")
    ("Once upon a time, there was {a_trait} named {name}.", ()),
    ("Once upon a time, {where}, there lived {a_trait} named {name}.", ("place",)),
    ("{name} was {a_trait} who lived {where}.", ("place",)),
    ("There once was {a_trait} called {name}, who loved {hobby}.", ("hobby",)),
    ("Long ago, {where}, lived {a_trait} named {name}.", ("place",)),
    ("{name} the {kind} wanted {want} more than anything.", ("want",)),
    ("One {weather} morning, {a_trait} named {name} woke up with a big plan.", ("weather",)),
    ("{name}, {a_trait}, lived {where}.", ("place",)),
)
FEELINGS = ("{name} felt sad.", "{name} sat down and sighed.", "{name} did not know what to do.",
            "{name} was worried.", "A little tear rolled down {his} cheek.")
IDEAS = ("Then {name} had an idea.", "{name} thought and thought. Then {he} smiled.",
         "But {name} did not give up.", "\"I can do this,\" {name} said to {him}self.")
PROUD = ("{name} was so happy that {he} danced.", "{He} felt very proud.", "\"I did it!\" {name} shouted.")
ARRIVALS = ("Just then, {a_fkind} named {F} came by.", "Then {name} saw {a_fkind} named {F}.",
            "Soon {a_fkind} named {F} came over.")
YES = ("\"Of course!\" said {F}.", "\"Don't worry, I will help you,\" said {F}.", "\"Yes, I can help,\" said {F}.")
RETURNS = ("Just then, {F} the {fkind} came back.", "Then {name} heard a friendly voice. It was {F} the {fkind}!")
REPAYS = ("\"You helped me, so now I will help you,\" said {F}.", "\"Let me help you, like you helped me,\" said {F}.")
THANKS = ("{name} said, \"Thank you, {F}!\"", "\"Thank you so much!\" said {name}.", "{name} thanked {F} with a big hug.")


def setting(rng: random.Random, hero, place, told: set) -> list[str]:
    """The sentences after the opening that set the scene: what the opening did not tell."""
    lines = []
    if "place" not in told:
        family = " with {his} mom and dad" if hero.child else rng.choice(("", " with {his} family"))
        lines.append("{He} lived {where}" + family + ".")
    if hero.looks and rng.random() < OFTEN["looks"]:
        lines.append(rng.choice(hero.looks))
    if "hobby" not in told and rng.random() < OFTEN["hobby"]:
        lines.append("{He} loved {hobby}.")
    if rng.random() < OFTEN["sights"]:
        lines.append("{Place} had %s and %s." % tuple(rng.sample(place.sights, 2)))
    if "want" in told:
        lines.append(rng.choice(("One {weather} day, {he} decided to try.", "One {weather} day, {he} set off.")))
    elif "weather" in told:
        lines.append(rng.choice(("{His} plan was {want}.", "The plan was simple: {he} wanted {want}.")))
    else:
        when = rng.choice(("One day", "One {weather} morning", "One {weather} day"))
        lines.append(when + ", " + rng.choice(("{name} wanted {want}.", "{name} decided {want}.",
                                               "{name} really wanted {want}.")))
    return lines
