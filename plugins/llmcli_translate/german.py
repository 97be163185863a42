"""German inflection for the generated corpus: articles and adjective endings by case,
gender and number, plural nouns in the dative, and present-tense verbs by person.

Persons are numbered 0-5: ich, du, er/sie, wir, ihr, sie. Cases are "nom", "acc", "dat".
A "slot" is a gender ("m", "f", "n") in the singular, or "pl".
"""

from __future__ import annotations

# endings of der-words (der, dieser) and ein-words (ein, kein, mein) by case and slot
DER_WORD = {
    "nom": {"m": "er", "f": "ie", "n": "as", "pl": "ie"},
    "acc": {"m": "en", "f": "ie", "n": "as", "pl": "ie"},
    "dat": {"m": "em", "f": "er", "n": "em", "pl": "en"},
}
DIESER = {
    "nom": {"m": "er", "f": "e", "n": "es", "pl": "e"},
    "acc": {"m": "en", "f": "e", "n": "es", "pl": "e"},
    "dat": {"m": "em", "f": "er", "n": "em", "pl": "en"},
}
EIN_WORD = {
    "nom": {"m": "", "f": "e", "n": "", "pl": "e"},
    "acc": {"m": "en", "f": "e", "n": "", "pl": "e"},
    "dat": {"m": "em", "f": "er", "n": "em", "pl": "en"},
}
# adjective endings with no article before them (only plurals go without one here)
STRONG_PLURAL = {"nom": "e", "acc": "e", "dat": "en"}


def slot(gender: str, plural: bool) -> str:
    return "pl" if plural else gender


def definite(case: str, gender: str, plural: bool) -> str:
    return "d" + DER_WORD[case][slot(gender, plural)]


def dieser(case: str, gender: str, plural: bool) -> str:
    return "dies" + DIESER[case][slot(gender, plural)]


def ein_word(stem: str, case: str, gender: str, plural: bool) -> str:
    """ein, kein, mein, unser... with its ending."""
    return stem + EIN_WORD[case][slot(gender, plural)]


def adjective_ending(article: str, case: str, gender: str, plural: bool) -> str:
    """The ending after a der-word ("der" kind), an ein-word ("ein") or none ("none")."""
    if article == "none":
        return STRONG_PLURAL[case] if plural else {"m": "er", "f": "e", "n": "es"}[gender]
    if not plural and (case == "nom" or (case == "acc" and gender != "m")):
        if article == "ein" and gender != "f":
            # the ein-word shows no gender here, so the adjective does: ein kleiner Hund
            return "er" if gender == "m" else "es"
        return "e"
    return "en"


def with_ending(stem: str, ending: str) -> str:
    """müde + e -> müde, müde + en -> müden: a stem's final e takes the ending's."""
    return stem + (ending[1:] if stem.endswith("e") and ending.startswith("e") else ending)


def plural_noun(plural: str, case: str) -> str:
    """Plural nouns take -n in the dative unless they end in -n or -s (den Kindern, den Autos)."""
    if case == "dat" and not plural.endswith(("n", "s")):
        return plural + "n"
    return plural


def present(infinitive: str, person: int, du_er: tuple = ()) -> str:
    """A regular verb's present tense; du_er gives a strong verb's changed du and er forms."""
    if du_er and person in (1, 2):
        return du_er[person - 1]
    if person in (3, 5):
        return infinitive
    stem = infinitive[:-2] if infinitive.endswith("en") else infinitive[:-1]
    # arbeiten -> arbeitest, arbeitet: an -e- keeps the ending audible after t and d
    linking = "e" if stem.endswith(("t", "d")) else ""
    if person == 0:
        return stem + "e"
    if person == 1:
        # tanzen -> du tanzt: the s of -st merges into a stem ending in s, ß, z or x
        return stem + linking + ("t" if stem.endswith(("s", "ß", "z", "x")) else "st")
    return stem + linking + "t"  # er (person 2) and ihr (person 4)
