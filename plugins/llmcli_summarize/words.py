"""Word pools the generated documents draw from, and small helpers for writing English.

The pools are big enough that documents rarely repeat, and small enough that a small
model sees every name many times in training: it has to learn to copy the right one, not
to spell names it has never met.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Anna Ben Clara David Emma Frank Grace Henry Isla Jack Kate Leo Maria Nina Oscar Paul Rosa Sam "
    "Tara Victor Wendy Adam Beth Carl Diana Eric Fiona George Helen Ivan Julia Kevin Laura Mark Nora "
    "Omar Peter Rachel Simon Tina Umar Vera Will Zoe Alice Bruno Chloe Dan Ella Felix Hugo Iris Jonas "
    "Lena Max Olga Priya Ruth Tom Yusuf"
).split()
SURNAMES = (
    "Adams Baker Carter Dixon Evans Fisher Grant Hughes Irwin Jones Kelly Lewis Moore Nash Owen Price "
    "Reed Shaw Turner Walsh Young Brooks Cole Day Ellis Ford Hale King Lane Mills Perry Ross Stone Webb"
).split()
TOWNS = (
    "Ashford Dorton Millbrook Riverton Kingsbury Oakley Westfield Brampton Hollowell Easton Fairhaven "
    "Greywater Lindale Marston Northwick Pelham Redcliff Stanmore Thornbury Upton Wexley Bexford "
    "Calder Elmstead Harwick"
).split()
STREETS = (
    "Mill Road", "Station Road", "High Street", "Church Lane", "Park Avenue", "Queen Street",
    "Bridge Street", "Oak Lane", "Market Square", "King Street", "Elm Grove", "Castle Road",
    "Water Lane", "North Street", "Hill Road", "Victoria Road", "Green Lane", "Chapel Street",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
DAY_PARTS = ("morning", "afternoon", "evening", "night")
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def person(rng) -> str:
    return rng.choice(FIRST_NAMES)


def full_name(rng) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def distinct(rng, pool, count: int) -> list:
    return rng.sample(list(pool), count)


def clock(rng, first: int = 8, last: int = 21) -> str:
    """A time of day as people write it: "9 am", "6:30 pm"."""
    hour = rng.randint(first, last)
    minutes = rng.choice(("", "", "", ":30", ":15", ":45"))
    suffix = "am" if hour < 12 else "pm"
    return f"{(hour - 1) % 12 + 1}{minutes} {suffix}"


def count_words(n: int) -> str:
    """Small counts in words ("three"), larger ones in digits, as newspapers write them."""
    return NUMBER_WORDS[n] if 0 < n < len(NUMBER_WORDS) else f"{n:,}"


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{count_words(n)} {word if n == 1 else (words or word + 's')}"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
