"""A small grammar that writes an English sentence and its German translation together.

A sentence is built as a structure first (who does what to whom, with which articles and
adjectives), then written out in each language by that language's rules:

- agreement: articles and adjective endings by case, gender and number (der kleine
  Hund, einen roten Vogel, mit den kleinen Kindern), verbs by person and number
  (ich sehe, du siehst, er sieht), the dative of helfen and folgen;
- word order: the verb second after a fronted adverbial (heute sieht der Hund ...), the
  verb last in subordinate clauses (..., weil der Hund den Vogel sieht), the infinitive
  last after a modal (der Hund kann den Vogel sehen), separable verbs split in main
  clauses (die Frau macht die Tür auf) and joined at the end of subordinate ones
  (..., dass die Frau die Tür aufmacht), questions with the verb first;
- small things: "a" or "an", "im" for "in dem", the English particle after a pronoun
  ("picks him up"), eat as essen for people and fressen for animals.

`sentence(rng)` returns {"en": ..., "de": ...}, in lower case without a full stop, or
capitalised with one: both styles are in the corpus, so that the model copies the style
of what it is given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from llmcli_translate import german
from llmcli_translate.lexicon import (ADJECTIVES, ALL, ANIMATE, MODALS, NOUNS, NUMBERS, OBJECT_PRONOUNS, PERSON,
                                      PLACE, POSSESSIVES, SAYING, SUBJECT_PRONOUNS, TIME_ADVERBIALS, VERBS, Noun,
                                      Verb, kinds)

THIRD_SINGULAR, THIRD_PLURAL = 2, 5


# -- phrases ---------------------------------------------------------------------------

@dataclass
class NounPhrase:
    noun: Noun
    determiner: str  # "the", "a", "this", "no", "possessive", "number", "bare"
    plural: bool
    adjective: object = None  # an Adjective or None
    index: int = 0  # which possessive or number

    @property
    def person(self) -> int:
        return THIRD_PLURAL if self.plural else THIRD_SINGULAR

    @property
    def kind(self) -> str:
        return self.noun.kind

    def en(self, case: str = "nom") -> str:
        noun = self.noun.en_plural if self.plural else self.noun.en
        words = ([self.adjective.en] if self.adjective else []) + [noun]
        first = {
            "the": "the",
            "a": "an" if words[0][0] in "aeiou" else "a",
            "this": "these" if self.plural else "this",
            "no": "no",
            "possessive": POSSESSIVES[self.index][0] if self.determiner == "possessive" else "",
            "number": NUMBERS[self.index][0] if self.determiner == "number" else "",
            "bare": "",
        }[self.determiner]
        return " ".join([first] + words if first else words)

    def de(self, case: str) -> str:
        gender, plural = self.noun.gender, self.plural
        if self.determiner == "the":
            first, article = german.definite(case, gender, plural), "der"
        elif self.determiner == "this":
            first, article = german.dieser(case, gender, plural), "der"
        elif self.determiner in ("a", "no", "possessive"):
            stem = {"a": "ein", "no": "kein"}.get(self.determiner) or POSSESSIVES[self.index][1]
            first, article = german.ein_word(stem, case, gender, plural), "ein"
        elif self.determiner == "number":
            first, article = NUMBERS[self.index][1], "none"
        else:
            first, article = "", "none"
        words = [first] if first else []
        if self.adjective:
            words.append(german.with_ending(self.adjective.de, german.adjective_ending(article, case, gender, plural)))
        words.append(german.plural_noun(self.noun.de_plural, case) if plural else self.noun.de)
        return " ".join(words)


@dataclass
class Pronoun:
    en_word: str
    de_forms: dict  # case -> German word
    person: int
    kind: str = PERSON

    def en(self, case: str = "nom") -> str:
        return self.en_word

    def de(self, case: str) -> str:
        return self.de_forms[case]


def subject_pronoun(index: int) -> Pronoun:
    en, de, person = SUBJECT_PRONOUNS[index]
    return Pronoun(en, {"nom": de}, person)


def object_pronoun(index: int) -> Pronoun:
    en, accusative, dative, person = OBJECT_PRONOUNS[index]
    return Pronoun(en, {"acc": accusative, "dat": dative}, person)


@dataclass
class Prepositional:
    """in the garden / with the dog / without me / for the child, at the end of a clause."""

    en_word: str
    de_word: str
    case: str
    phrase: object

    def en(self) -> str:
        return f"{self.en_word} {self.phrase.en('acc')}"

    def de(self) -> str:
        text = f"{self.de_word} {self.phrase.de(self.case)}"
        # in dem -> im, the contraction German always makes
        return text.replace("in dem ", "im ", 1) if text.startswith("in dem ") else text


# -- clauses ---------------------------------------------------------------------------

@dataclass
class Clause:
    subject: object
    verb: Verb
    recipient: object = None  # ditransitive: the indirect object (dative)
    obj: object = None  # the direct object (accusative, or the dative of helfen)
    extra: Prepositional | None = None
    modal: int | None = None  # index into MODALS

    # English

    def en_finite(self, question: bool = False) -> list[str]:
        """English verb words: [aux-or-verb, rest...]; questions use do-support."""
        third = self.subject.person == THIRD_SINGULAR
        if self.modal is not None:
            word, word_s, _ = MODALS[self.modal]
            if word == "want to":  # an ordinary verb in English: do-support in questions
                if question:
                    return ["does" if third else "do", "want to", self.verb.en]
                return [word_s if third else word, self.verb.en]
            return [word, self.verb.en]
        if question:
            return ["does" if third else "do", self.verb.en]
        return [self.verb.en_s if third else self.verb.en]

    def en_objects(self) -> list[str]:
        words = []
        if self.recipient is not None:
            words.append(self.recipient.en("acc"))
        if self.obj is not None:
            words.append(self.obj.en("acc"))
        if self.extra is not None:
            words.append(self.extra.en())
        return words

    def en_words(self, question: bool = False) -> list[str]:
        verb = self.en_finite(question)
        # a particle verb with a pronoun object: "picks him up", not "picks up him"
        if self.verb.particle and isinstance(self.obj, Pronoun):
            head, particle = verb[-1].rsplit(" ", 1)
            verb = verb[:-1] + [head, self.obj.en("acc"), particle]
            rest = [self.extra.en()] if self.extra is not None else []
        else:
            rest = self.en_objects()
        if question:
            return [verb[0], self.subject.en("nom")] + verb[1:] + rest
        return [self.subject.en("nom")] + verb + rest

    # German

    def de_verb(self) -> tuple[str, str, tuple]:
        """(separable prefix, infinitive without it, strong du and er forms) of the main
        verb, as the subject's kind asks (animals fressen)."""
        infinitive, du_er = self.verb.de, self.verb.du_er
        if self.verb.animal_de and self.subject.kind != PERSON:
            infinitive, du_er = self.verb.animal_de, self.verb.animal_du_er
        prefix, _, stem = infinitive.rpartition("|")
        return prefix, stem, du_er

    def de_parts(self) -> tuple[str, list[str], list[str], str]:
        """(finite verb, middle field, right bracket, the verb group a subordinate clause
        ends with)."""
        prefix, stem, du_er = self.de_verb()
        person = self.subject.person
        if self.verb.forms:
            finite = self.verb.forms[person]
        else:
            finite = german.present(stem, person, du_er)
        middle = []
        if self.recipient is not None:
            middle.append(self.recipient.de("dat"))
        if self.obj is not None:
            middle.append(self.obj.de(self.verb.case))
        if self.extra is not None:
            middle.append(self.extra.de())
        if self.modal is not None:
            modal = MODALS[self.modal][2][person]
            return modal, middle, [prefix + stem], f"{prefix + stem} {modal}"
        return finite, middle, [prefix] if prefix else [], prefix + finite

    def de_main(self, front: str | None = None) -> list[str]:
        """A main clause: subject first, or `front` first and the verb second."""
        finite, middle, bracket, _ = self.de_parts()
        subject = self.subject.de("nom")
        if front is None:
            return [subject, finite] + middle + bracket
        return [front, finite, subject] + middle + bracket

    def de_question(self) -> list[str]:
        finite, middle, bracket, _ = self.de_parts()
        return [finite, self.subject.de("nom")] + middle + bracket

    def de_subordinate(self) -> list[str]:
        _, middle, _, end = self.de_parts()
        return [self.subject.de("nom")] + middle + [end]


# -- choosing ----------------------------------------------------------------------------

class Chooser:
    """Draws the parts of a sentence from the lexicon with a random.Random."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.adjectives = 0.35  # the chance that a noun has an adjective
        self.extras = 1.0  # scales the chance of a prepositional phrase

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def noun(self, allowed: frozenset) -> Noun:
        return self.rng.choice([n for n in NOUNS if n.fits(allowed)])

    def noun_phrase(self, allowed: frozenset, singular: bool = False) -> NounPhrase:
        noun = self.noun(allowed)
        plural = not singular and self.chance(0.3)
        if plural:
            choices, weights = ["the", "this", "no", "possessive", "number", "bare"], [40, 8, 6, 12, 10, 14]
        else:
            choices, weights = ["the", "a", "this", "no", "possessive"], [45, 30, 7, 5, 13]
        determiner = self.rng.choices(choices, weights)[0]
        index = 0
        if determiner == "possessive":
            index = self.rng.randrange(len(POSSESSIVES))
        elif determiner == "number":
            index = self.rng.randrange(len(NUMBERS))
        adjective = None
        if self.chance(self.adjectives):
            adjective = self.rng.choice([a for a in ADJECTIVES if noun.kind in a.kinds])
        return NounPhrase(noun, determiner, plural, adjective, index)

    def subject(self, allowed: frozenset):
        if PERSON in allowed and self.chance(0.3):
            return subject_pronoun(self.rng.randrange(len(SUBJECT_PRONOUNS)))
        return self.noun_phrase(allowed)

    def person_object(self, allowed: frozenset, subject):
        """A noun phrase, or now and then a pronoun that is not the subject's own person."""
        if PERSON in allowed and self.chance(0.2):
            options = [i for i, p in enumerate(OBJECT_PRONOUNS) if p[3] != subject.person or p[3] == 2]
            return object_pronoun(self.rng.choice(options))
        return self.noun_phrase(allowed)

    def extra(self, verb: Verb) -> Prepositional | None:
        chance = {"intransitive": 0.6, "transitive": 0.2, "ditransitive": 0.08}[verb.frame]
        if not self.chance(chance * self.extras):
            return None
        options = ["in"]
        if verb.frame == "intransitive":
            options += ["with", "without"]
        if verb.benefactive:
            options += ["for"]
        kind = self.rng.choice(options)
        if kind == "in":
            return Prepositional("in", "in", "dat", self.noun_phrase(kinds(PLACE), singular=True))
        word, de, case = {"with": ("with", "mit", "dat"), "without": ("without", "ohne", "acc"),
                          "for": ("for", "für", "acc")}[kind]
        if self.chance(0.2):
            return Prepositional(word, de, case, object_pronoun(self.rng.randrange(len(OBJECT_PRONOUNS))))
        return Prepositional(word, de, case, self.noun_phrase(ANIMATE))

    def clause(self, modal_chance: float = 0.0) -> Clause:
        verb = self.rng.choice(VERBS)
        subject = self.subject(verb.subjects)
        clause = Clause(subject, verb)
        if verb.frame == "ditransitive":
            clause.recipient = self.person_object(verb.recipients, subject)
            clause.obj = self.noun_phrase(verb.objects)
        elif verb.frame == "transitive":
            clause.obj = self.person_object(verb.objects, subject)
        clause.extra = self.extra(verb)
        if self.chance(modal_chance):
            clause.modal = self.rng.randrange(len(MODALS))
        return clause


# -- sentences ---------------------------------------------------------------------------

SHAPES = {"plain": 34, "adverbial": 14, "modal": 14, "question": 14, "that": 10, "because": 7, "when": 7}
WRITTEN = 0.2  # the share of sentences in written style (capital letter, full stop)


def sentence_pair(rng: random.Random) -> tuple[list[str], list[str], bool]:
    """(English words, German words, is a question) of one sentence."""
    choose = Chooser(rng)
    shape = rng.choices(list(SHAPES), list(SHAPES.values()))[0]
    if shape == "plain":
        clause = choose.clause()
        return clause.en_words(), clause.de_main(), False
    if shape == "adverbial":
        clause = choose.clause(modal_chance=0.2)
        en_adverbial, de_adverbial = rng.choice(TIME_ADVERBIALS)
        return [en_adverbial] + clause.en_words(), clause.de_main(front=de_adverbial), False
    if shape == "modal":
        clause = choose.clause(modal_chance=1.0)
        return clause.en_words(), clause.de_main(), False
    if shape == "question":
        clause = choose.clause(modal_chance=0.3)
        return clause.en_words(question=True), clause.de_question(), True
    # two clauses make a long sentence: keep their noun phrases short
    choose.adjectives, choose.extras = 0.2, 0.5
    inner = choose.clause(modal_chance=0.15)
    if shape == "that":
        speaker = choose.subject(kinds(PERSON))
        en_verb, en_verb_s, de_forms = rng.choice(SAYING)
        en = [speaker.en("nom"), en_verb_s if speaker.person == THIRD_SINGULAR else en_verb, "that"]
        de = [speaker.de("nom"), de_forms[speaker.person] + ",", "dass"]
        return en + inner.en_words(), de + inner.de_subordinate(), False
    outer = choose.clause()
    if shape == "because":
        main = outer.de_main()
        main[-1] += ","
        return outer.en_words() + ["because"] + inner.en_words(), main + ["weil"] + inner.de_subordinate(), False
    # when: the subordinate clause comes first, and takes the first place of the main clause
    en_inner, de_inner = inner.en_words(), inner.de_subordinate()
    en_inner[-1] += ","
    de_front = " ".join(["wenn"] + de_inner) + ","
    return ["when"] + en_inner + outer.en_words(), outer.de_main(front=de_front), False


def noun_phrase_pair(rng: random.Random) -> tuple[list[str], list[str], bool]:
    """A noun phrase alone ("a red bird", "ein roter Vogel"): short pairs that teach the
    words and their endings before whole sentences do."""
    chooser = Chooser(rng)
    chooser.adjectives = 0.6
    phrase = chooser.noun_phrase(ALL)
    return [phrase.en()], [phrase.de("nom")], False


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(rng: random.Random, phrases: float = 0.0) -> dict:
    """One English sentence and its German translation, in one of two styles; with the
    chance `phrases`, a noun phrase instead."""
    make = noun_phrase_pair if phrases and rng.random() < phrases else sentence_pair
    en_words, de_words, question = make(rng)
    en, de = " ".join(en_words), " ".join(de_words)
    if question:
        en, de = en + "?", de + "?"
    if rng.random() < WRITTEN:  # written style: a capital letter and a full stop
        en, de = capitalised(en), capitalised(de)
        if not question:
            en, de = en + ".", de + "."
    return {"en": en, "de": de}
