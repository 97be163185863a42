"""The words of the generated English-German corpus: nouns with their gender and plurals,
adjectives, verbs with what they take, pronouns and adverbials.

Each word carries the kinds of thing it fits (a person, an animal, food, a thing, a
place), so that the grammar writes "the hungry dog eats an apple" and not "the apple
eats a hungry dog". Words are chosen to avoid German's irregular corners (weak nouns such
as der Junge, adjectives such as hoch/hohe) and English words that look the same in the
singular and plural (fish, sheep): every English sentence has exactly one translation.
"""

from __future__ import annotations

from dataclasses import dataclass

PERSON, ANIMAL, FOOD, THING, PLACE = "person", "animal", "food", "thing", "place"
ANIMATE = frozenset({PERSON, ANIMAL})
ALL = frozenset({PERSON, ANIMAL, FOOD, THING, PLACE})


@dataclass(frozen=True)
class Noun:
    en: str
    en_plural: str
    gender: str  # "m", "f" or "n"
    de: str
    de_plural: str
    kind: str

    def fits(self, allowed: frozenset) -> bool:
        """Whether the noun is among `allowed`: kinds and nouns, "-noun" leaving one out."""
        return (self.kind in allowed or self.en in allowed) and f"-{self.en}" not in allowed


@dataclass(frozen=True)
class Adjective:
    en: str
    de: str  # the stem endings are added to
    kinds: frozenset


@dataclass(frozen=True)
class Verb:
    en: str  # "see", "look for", "pick up"
    en_s: str  # third person singular: "sees", "looks for", "picks up"
    de: str  # infinitive, with a separable prefix written apart: "auf|machen"
    frame: str  # "intransitive", "transitive" or "ditransitive"
    subjects: frozenset  # kinds of subject
    objects: frozenset = frozenset()  # kinds (or noun names) of the direct object
    recipients: frozenset = frozenset()  # ditransitive: kinds of the indirect object
    case: str = "acc"  # the direct object's case: helfen, folgen take the dative
    forms: tuple = ()  # German present forms ich, du, er, wir, ihr, sie when irregular
    du_er: tuple = ()  # strong verbs: the changed du and er forms ("siehst", "sieht")
    animal_de: str = ""  # the verb animals take instead: essen -> fressen
    animal_du_er: tuple = ()
    particle: bool = False  # the English word after the verb is a particle: "picks him up"
    benefactive: bool = False  # takes "for someone": "buys a cake for the child"


def _nouns(kind: str, table: str) -> list[Noun]:
    out = []
    for line in table.strip().splitlines():
        en, en_plural, gender, de, de_plural = line.split()
        out.append(Noun(en, en_plural, gender, de, de_plural, kind))
    return out


NOUNS = (
    _nouns(PERSON, """
man men m Mann Männer
woman women f Frau Frauen
child children n Kind Kinder
girl girls n Mädchen Mädchen
father fathers m Vater Väter
mother mothers f Mutter Mütter
brother brothers m Bruder Brüder
sister sisters f Schwester Schwestern
teacher teachers m Lehrer Lehrer
friend friends m Freund Freunde
doctor doctors m Arzt Ärzte
baby babies n Baby Babys
""")
    + _nouns(ANIMAL, """
dog dogs m Hund Hunde
cat cats f Katze Katzen
bird birds m Vogel Vögel
horse horses n Pferd Pferde
mouse mice f Maus Mäuse
pig pigs n Schwein Schweine
fox foxes m Fuchs Füchse
duck ducks f Ente Enten
rabbit rabbits n Kaninchen Kaninchen
wolf wolves m Wolf Wölfe
""")
    + _nouns(FOOD, """
apple apples m Apfel Äpfel
cake cakes m Kuchen Kuchen
egg eggs n Ei Eier
sausage sausages f Wurst Würste
banana bananas f Banane Bananen
pear pears f Birne Birnen
cookie cookies m Keks Kekse
""")
    + _nouns(THING, """
book books n Buch Bücher
ball balls m Ball Bälle
letter letters m Brief Briefe
car cars n Auto Autos
door doors f Tür Türen
window windows n Fenster Fenster
table tables m Tisch Tische
chair chairs m Stuhl Stühle
cup cups f Tasse Tassen
flower flowers f Blume Blumen
hat hats m Hut Hüte
key keys m Schlüssel Schlüssel
picture pictures n Bild Bilder
box boxes f Kiste Kisten
bag bags f Tasche Taschen
song songs n Lied Lieder
newspaper newspapers f Zeitung Zeitungen
""")
    + _nouns(PLACE, """
garden gardens m Garten Gärten
park parks m Park Parks
forest forests m Wald Wälder
house houses n Haus Häuser
city cities f Stadt Städte
kitchen kitchens f Küche Küchen
""")
)

P, A, F, T, L = PERSON, ANIMAL, FOOD, THING, PLACE


def kinds(*names: str) -> frozenset:
    return frozenset(names)


ADJECTIVES = [
    Adjective("small", "klein", ALL), Adjective("big", "groß", ALL), Adjective("old", "alt", ALL),
    Adjective("new", "neu", kinds(P, F, T, L)), Adjective("young", "jung", ANIMATE),
    Adjective("good", "gut", ALL), Adjective("beautiful", "schön", ALL),
    Adjective("red", "rot", kinds(A, F, T)), Adjective("blue", "blau", kinds(T)),
    Adjective("green", "grün", kinds(F, T)), Adjective("black", "schwarz", kinds(A, T)),
    Adjective("white", "weiß", kinds(A, T)), Adjective("yellow", "gelb", kinds(F, T)),
    Adjective("brown", "braun", kinds(A, F, T)), Adjective("happy", "glücklich", ANIMATE),
    Adjective("sad", "traurig", ANIMATE), Adjective("hungry", "hungrig", ANIMATE),
    Adjective("tired", "müde", ANIMATE), Adjective("fast", "schnell", kinds(P, A, T)),
    Adjective("slow", "langsam", kinds(P, A, T)), Adjective("warm", "warm", kinds(F, T, L)),
    Adjective("cold", "kalt", kinds(F, T, L)), Adjective("clever", "klug", ANIMATE),
    Adjective("friendly", "freundlich", ANIMATE), Adjective("quiet", "ruhig", kinds(P, A, L)),
    Adjective("strong", "stark", ANIMATE),
]

READABLE = kinds("book", "letter")
WRITABLE = kinds("letter", "book")
OPENABLE = kinds("door", "window", "box", "bag", "book", "letter")
SENDABLE = kinds(FOOD, "letter", "book", "picture", "flower", "key", "hat")
CARRYABLE = kinds(ANIMAL, FOOD, THING, "-car", "-table", "-door", "-window")

VERBS = [
    # transitive, accusative object
    Verb("see", "sees", "sehen", "transitive", ANIMATE, ALL, du_er=("siehst", "sieht")),
    Verb("hear", "hears", "hören", "transitive", ANIMATE, kinds(P, A, "car")),
    Verb("like", "likes", "mögen", "transitive", ANIMATE, ALL,
         forms=("mag", "magst", "mag", "mögen", "mögt", "mögen")),
    Verb("find", "finds", "finden", "transitive", ANIMATE, kinds(P, A, F, T)),
    Verb("have", "has", "haben", "transitive", ANIMATE, kinds(A, F, T),
         forms=("habe", "hast", "hat", "haben", "habt", "haben")),
    Verb("buy", "buys", "kaufen", "transitive", kinds(P), kinds(A, F, T), benefactive=True),
    Verb("eat", "eats", "essen", "transitive", ANIMATE, kinds(F), du_er=("isst", "isst"),
         animal_de="fressen", animal_du_er=("frisst", "frisst")),
    Verb("read", "reads", "lesen", "transitive", kinds(P), READABLE, du_er=("liest", "liest")),
    Verb("write", "writes", "schreiben", "transitive", kinds(P), WRITABLE, benefactive=True),
    Verb("open", "opens", "auf|machen", "transitive", kinds(P), OPENABLE),
    Verb("close", "closes", "zu|machen", "transitive", kinds(P), OPENABLE - {"letter"}),
    Verb("call", "calls", "an|rufen", "transitive", kinds(P), kinds(P)),
    Verb("carry", "carries", "tragen", "transitive", ANIMATE, CARRYABLE, du_er=("trägst", "trägt"),
         benefactive=True),
    Verb("visit", "visits", "besuchen", "transitive", kinds(P), kinds(P, L)),
    Verb("look for", "looks for", "suchen", "transitive", ANIMATE, kinds(P, A, F, T)),
    Verb("pick up", "picks up", "ab|holen", "transitive", kinds(P), kinds(P), particle=True),
    Verb("throw away", "throws away", "weg|werfen", "transitive", kinds(P), CARRYABLE - {ANIMAL},
         du_er=("wirfst", "wirft"), particle=True),
    # the object in the dative
    Verb("help", "helps", "helfen", "transitive", ANIMATE, ANIMATE, case="dat", du_er=("hilfst", "hilft")),
    # someone (dative) something (accusative)
    Verb("give", "gives", "geben", "ditransitive", kinds(P), CARRYABLE, ANIMATE,
         du_er=("gibst", "gibt")),
    Verb("show", "shows", "zeigen", "ditransitive", kinds(P), kinds(A, F, T), kinds(P)),
    Verb("send", "sends", "schicken", "ditransitive", kinds(P), SENDABLE, kinds(P)),
    Verb("bring", "brings", "bringen", "ditransitive", kinds(P), CARRYABLE, ANIMATE),
    # no object
    Verb("sleep", "sleeps", "schlafen", "intransitive", ANIMATE, du_er=("schläfst", "schläft")),
    Verb("play", "plays", "spielen", "intransitive", ANIMATE),
    Verb("sing", "sings", "singen", "intransitive", kinds(P, "bird")),
    Verb("run", "runs", "laufen", "intransitive", ANIMATE, du_er=("läufst", "läuft")),
    Verb("wait", "waits", "warten", "intransitive", ANIMATE),
    Verb("laugh", "laughs", "lachen", "intransitive", kinds(P)),
    Verb("swim", "swims", "schwimmen", "intransitive", kinds(P, "duck", "dog", "horse", "fox")),
    Verb("work", "works", "arbeiten", "intransitive", kinds(P)),
]

# verbs that take a "that" clause: (English, its third person singular, German forms)
SAYING = [
    ("know", "knows", ("weiß", "weißt", "weiß", "wissen", "wisst", "wissen")),
    ("say", "says", ("sage", "sagst", "sagt", "sagen", "sagt", "sagen")),
    ("think", "thinks", ("denke", "denkst", "denkt", "denken", "denkt", "denken")),
    ("hope", "hopes", ("hoffe", "hoffst", "hofft", "hoffen", "hofft", "hoffen")),
]

# modal verbs: (English before the infinitive, its third person singular, German forms)
MODALS = [
    ("can", "can", ("kann", "kannst", "kann", "können", "könnt", "können")),
    ("must", "must", ("muss", "musst", "muss", "müssen", "müsst", "müssen")),
    ("want to", "wants to", ("will", "willst", "will", "wollen", "wollt", "wollen")),
]

# personal pronouns by person 0-5 (I, you, he/she, we, you all, they)
SUBJECT_PRONOUNS = [("I", "ich", 0), ("you", "du", 1), ("he", "er", 2), ("she", "sie", 2),
                    ("we", "wir", 3), ("you all", "ihr", 4), ("they", "sie", 5)]
# object pronouns: English, German accusative, German dative, the person they refer to
OBJECT_PRONOUNS = [("me", "mich", "mir", 0), ("you", "dich", "dir", 1), ("him", "ihn", "ihm", 2),
                   ("her", "sie", "ihr", 2), ("us", "uns", "uns", 3)]
# possessives: English, German stem (endings as after "ein")
POSSESSIVES = [("my", "mein"), ("your", "dein"), ("his", "sein"), ("her", "ihr"), ("our", "unser")]
NUMBERS = [("two", "zwei"), ("three", "drei"), ("four", "vier")]

# adverbials of time that can open a sentence (German then puts the verb second)
TIME_ADVERBIALS = [
    ("today", "heute"), ("tomorrow", "morgen"), ("now", "jetzt"), ("sometimes", "manchmal"),
    ("in the morning", "am Morgen"), ("in the evening", "am Abend"), ("every day", "jeden Tag"),
    ("on Sunday", "am Sonntag"), ("at night", "in der Nacht"),
]


def noun_named(en: str) -> Noun:
    return next(n for n in NOUNS if n.en == en)


def adjective_named(en: str) -> Adjective:
    return next(a for a in ADJECTIVES if a.en == en)


def verb_named(en: str) -> Verb:
    return next(v for v in VERBS if v.en == en)
