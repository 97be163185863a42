"""The built-in translate task: its grammar and generated corpus, the readers of parallel
text (Multi30k's layout, TSV, JSONL) and their errors, and a tiny fine-tune, eval and run."""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest
from cli_helpers import TINY_FINETUNE_ARGS, ok, run

from llmcli.errors import UserError
from llmcli_translate import register_datasets, register_tasks
from llmcli_translate.generator import SIZES, generate, key, split_of
from llmcli_translate.grammar import Chooser, Clause, NounPhrase, Prepositional, object_pronoun, sentence, \
    sentence_pair, subject_pronoun
from llmcli_translate.lexicon import ANIMATE, NOUNS, PLACE, adjective_named, kinds, noun_named, verb_named
from llmcli_translate.task import TranslateTask

SHARED_DATA = Path(os.environ.get("LLMCLI_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
MULTI30K = SHARED_DATA / "translation" / "multi30k"


def np(noun, determiner="the", adjective=None, plural=False, index=0):
    return NounPhrase(noun_named(noun), determiner, plural, adjective_named(adjective) if adjective else None, index)


def texts(en_words, de_words):
    return " ".join(en_words), " ".join(de_words)


# -- the grammar -----------------------------------------------------------------------

def test_the_small_dog_sees_a_red_bird():
    clause = Clause(np("dog", adjective="small"), verb_named("see"), obj=np("bird", "a", "red"))
    assert texts(clause.en_words(), clause.de_main()) == (
        "the small dog sees a red bird", "der kleine Hund sieht einen roten Vogel")
    # and the generator may draw it: every part fits what the words allow
    assert noun_named("dog").fits(verb_named("see").subjects) and noun_named("bird").fits(verb_named("see").objects)
    assert noun_named("bird").kind in adjective_named("red").kinds
    assert noun_named("dog").kind in adjective_named("small").kinds


@pytest.mark.parametrize("phrase, case, german", [
    (np("dog", "a", "small"), "nom", "ein kleiner Hund"),
    (np("house", "a", "small"), "acc", "ein kleines Haus"),
    (np("cat", "a", "small"), "acc", "eine kleine Katze"),
    (np("dog", "the", "small"), "acc", "den kleinen Hund"),
    (np("dog", "possessive", "tired", index=4), "dat", "unserem müden Hund"),
    (np("child", "the", "small", plural=True), "dat", "den kleinen Kindern"),
    (np("car", "number", "red", plural=True, index=0), "dat", "zwei roten Autos"),
    (np("bird", "bare", "tired", plural=True), "nom", "müde Vögel"),
    (np("apple", "no", plural=True), "acc", "keine Äpfel"),
    (np("cup", "this", "blue"), "dat", "dieser blauen Tasse"),
])
def test_articles_and_adjectives_agree(phrase, case, german):
    assert phrase.de(case) == german


def test_english_articles_and_plurals():
    assert np("apple", "a").en() == "an apple"
    assert np("egg", "a", "big").en() == "a big egg"
    assert np("mouse", "this", plural=True).en() == "these mice"
    assert np("child", "number", plural=True, index=1).en() == "three children"


@pytest.mark.parametrize("pronoun, english, german", [
    (0, "I see the bird", "ich sehe den Vogel"), (1, "you see the bird", "du siehst den Vogel"),
    (2, "he sees the bird", "er sieht den Vogel"), (4, "we see the bird", "wir sehen den Vogel"),
    (5, "you all see the bird", "ihr seht den Vogel"), (6, "they see the bird", "sie sehen den Vogel"),
])
def test_verbs_agree_with_their_subject(pronoun, english, german):
    clause = Clause(subject_pronoun(pronoun), verb_named("see"), obj=np("bird"))
    assert texts(clause.en_words(), clause.de_main()) == (english, german)


def test_cases_after_verbs_and_prepositions():
    give = Clause(np("man"), verb_named("give"), recipient=np("child"), obj=np("ball", "a"))
    assert texts(give.en_words(), give.de_main()) == ("the man gives the child a ball",
                                                       "der Mann gibt dem Kind einen Ball")
    help_ = Clause(np("woman"), verb_named("help"), obj=np("child", plural=True, adjective="small"))
    assert " ".join(help_.de_main()) == "die Frau hilft den kleinen Kindern"
    play = Clause(np("girl"), verb_named("play"),
                  extra=Prepositional("in", "in", "dat", np("garden", adjective="big")))
    assert texts(play.en_words(), play.de_main()) == ("the girl plays in the big garden",
                                                       "das Mädchen spielt im großen Garten")
    without = Clause(subject_pronoun(0), verb_named("sleep"), extra=Prepositional("without", "ohne", "acc", np("dog")))
    assert " ".join(without.de_main()) == "ich schlafe ohne den Hund"


def test_word_order():
    clause = Clause(np("woman"), verb_named("open"), obj=np("door"))
    assert " ".join(clause.de_main()) == "die Frau macht die Tür auf"
    assert " ".join(clause.de_main(front="heute")) == "heute macht die Frau die Tür auf"
    assert " ".join(clause.de_subordinate()) == "die Frau die Tür aufmacht"
    assert " ".join(clause.de_question()) + "?" == "macht die Frau die Tür auf?"
    assert " ".join(clause.en_words(question=True)) == "does the woman open the door"
    clause.modal = 0
    assert texts(clause.en_words(), clause.de_main()) == ("the woman can open the door",
                                                           "die Frau kann die Tür aufmachen")
    assert " ".join(clause.de_subordinate()) == "die Frau die Tür aufmachen kann"
    clause.modal = 2
    assert " ".join(clause.en_words(question=True)) == "does the woman want to open the door"
    pick_up = Clause(np("father"), verb_named("pick up"), obj=object_pronoun(2))
    assert texts(pick_up.en_words(), pick_up.de_main()) == ("the father picks him up", "der Vater holt ihn ab")


def test_animals_fressen():
    assert " ".join(Clause(np("dog"), verb_named("eat"), obj=np("apple")).de_main()) == "der Hund frisst den Apfel"
    assert " ".join(Clause(np("man"), verb_named("eat"), obj=np("apple")).de_main()) == "der Mann isst den Apfel"


def test_sentences_have_one_translation_and_two_styles():
    rng = random.Random(3)
    translations, styles = {}, set()
    for _ in range(3000):
        pair = sentence(rng)
        assert translations.setdefault(pair["en"], pair["de"]) == pair["de"]
        styles.add(pair["en"][-1] == "." and pair["de"][-1] == ".")
    assert styles == {True, False}


def test_every_shape_occurs():
    rng = random.Random(0)
    german = " ".join(" ".join(sentence_pair(rng)[1]) for _ in range(400))
    for word in (", dass ", ", weil ", "wenn ", " im ", " dem ", " den "):
        assert word in german


def test_choices_fit_the_words():
    choose = Chooser(random.Random(1))
    for _ in range(300):
        clause = choose.clause()
        assert clause.subject.kind in {"person", "animal"}
        if isinstance(clause.obj, NounPhrase):
            assert clause.obj.noun.fits(clause.verb.objects)
    assert all(n.fits(kinds(PLACE)) == (n.kind == PLACE) for n in NOUNS)
    assert noun_named("cat").fits(ANIMATE)


# -- the generated corpus ----------------------------------------------------------------

def test_generation_is_repeatable_and_the_splits_are_apart():
    assert generate("test", 40, 0) == generate("test", 40, 0)
    assert generate("test", 40, 0) != generate("test", 40, 1)
    train = {key(pair["en"]) for pair in generate("train", SIZES["train"], 0)}
    for split in ("validation", "test"):
        held_out = [key(pair["en"]) for pair in generate(split, SIZES[split], 0)]
        assert len(set(held_out)) == len(held_out) == SIZES[split]
        assert not train & set(held_out)
        assert all(split_of(sentence) == split for sentence in held_out)


def test_the_hooks_register_what_the_task_names():
    found = {}
    for hook in (register_tasks, register_datasets):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["translate"]
    assert found[task.default_dataset].task == "translate"
    assert task.metrics == ("bleu", "chrf") and task.decoding["num_beams"] == 4


# -- options -----------------------------------------------------------------------------

def test_direction_follows_the_options():
    task = TranslateTask().configured({"src": "DE", "tgt": "en"})
    assert (task.fields, task.prompt, task.target, task.input_field) == (("de", "en"), "{de} =", " {en}", "de")
    example = {"en": "the dog sleeps", "de": "der Hund schläft"}
    assert task.render_prompt(example) == "der Hund schläft =" and task.references(example) == ["the dog sleeps"]
    assert TranslateTask().read_input("  the  dog ") == {"en": "the dog"}
    with pytest.raises(UserError, match="both de"):
        TranslateTask().configured({"src": "de", "tgt": "de"})
    with pytest.raises(UserError, match="not a language code"):
        TranslateTask().configured({"src": "German"})


# -- reading files -----------------------------------------------------------------------

def write(path: Path, lines, gz=False, raw: bytes | None = None):
    data = raw if raw is not None else ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


EN = ["the dog sleeps", "a cat plays", "two birds sing"]
DE = ["der Hund schläft", "eine Katze spielt", "zwei Vögel singen"]


@pytest.fixture
def multi30k_like(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, gz in (("train", True), ("val", False), ("test_2016_flickr", False)):
        suffix = ".gz" if gz else ""
        write(folder / f"{name}.en{suffix}", EN, gz)
        write(folder / f"{name}.de{suffix}", DE, gz)
    write(folder / "train.fr.gz", ["le chien dort", "un chat joue", "deux oiseaux chantent"], gz=True)
    return folder


def test_parallel_files_in_the_multi30k_layout(multi30k_like):
    task = TranslateTask().configured({"src": "de", "tgt": "en"})
    splits = task.splits_in(multi30k_like)
    assert list(splits) == ["train", "validation", "test"]
    assert splits["test"][0].name == "test_2016_flickr.de"
    train = task.read_split(splits["train"])
    assert train[0] == {"de": "der Hund schläft", "en": "the dog sleeps"}
    assert task.render_prompt(train[2]) == "zwei Vögel singen =" and task.references(train[2]) == ["two birds sing"]
    french = TranslateTask().configured({"src": "fr", "tgt": "en"}).splits_in(multi30k_like)
    assert list(french) == ["train"]


def test_a_language_missing_from_the_folder_names_the_files(multi30k_like):
    with pytest.raises(UserError, match=r"no \.cs files; it has .*train\.de\.gz.*\(languages de, en, fr\)"):
        TranslateTask().configured({"src": "cs", "tgt": "en"}).splits_in(multi30k_like)


def test_mismatched_line_counts(tmp_path):
    write(tmp_path / "train.en", EN)
    write(tmp_path / "train.de", DE[:2])
    task = TranslateTask()
    with pytest.raises(UserError, match=r"train\.en:3: no partner for this line in train\.de, which has 2 lines"):
        task.read_split(task.splits_in(tmp_path)["train"])


def test_empty_and_non_utf8_files(tmp_path):
    write(tmp_path / "train.en", EN)
    write(tmp_path / "train.de", [], raw=b"")
    task = TranslateTask()
    with pytest.raises(UserError, match=r"train\.de: empty file"):
        task.read_split(task.splits_in(tmp_path)["train"])
    write(tmp_path / "train.de", [], raw="der Hund\nK\xe4se\n".encode("latin-1"))
    with pytest.raises(UserError, match=r"train\.de:2: not UTF-8"):
        task.read_split(task.splits_in(tmp_path)["train"])


def test_tsv_with_and_without_a_header(tmp_path):
    task = TranslateTask()
    named = write(tmp_path / "named.tsv", ["de\ten"] + [f"{d}\t{e}" for e, d in zip(EN, DE)])
    assert task.read_file(named)[0] == {"en": "the dog sleeps", "de": "der Hund schläft"}
    plain = write(tmp_path / "plain.tsv.gz", [f"{e}\t{d}" for e, d in zip(EN, DE)], gz=True)
    assert task.read_file(plain) == task.read_file(named)  # no header: --src first, --tgt second
    generic = write(tmp_path / "generic.tsv", ["source\ttarget", "der Hund schläft\tthe dog sleeps"])
    assert TranslateTask().configured({"src": "de", "tgt": "en"}).read_file(generic) == [
        {"de": "der Hund schläft", "en": "the dog sleeps"}]
    with pytest.raises(UserError, match=r"other\.tsv:1: the header names en, fr"):
        task.read_file(write(tmp_path / "other.tsv", ["en\tfr", "a\tb"]))
    with pytest.raises(UserError, match=r"short\.tsv:2: 1 column where 2 are needed"):
        task.read_file(write(tmp_path / "short.tsv", ["the dog\tder Hund", "the cat"]))


def test_jsonl_by_language_codes_or_source_and_target(tmp_path):
    task = TranslateTask()
    codes = write(tmp_path / "codes.jsonl", [json.dumps({"de": d, "en": e}) for e, d in zip(EN, DE)])
    assert [example["de"] for example in task.read_file(codes)] == DE
    generic = write(tmp_path / "generic.jsonl.gz", [json.dumps({"source": "a cat", "target": "eine Katze"})], gz=True)
    assert task.read_file(generic)[0]["de"] == "eine Katze"
    broken = write(tmp_path / "broken.jsonl", [json.dumps({"en": "a cat", "de": "eine Katze"}),
                                              json.dumps({"en": "a dog", "fr": "un chien"})])
    with pytest.raises(UserError, match=r"broken\.jsonl:2: no 'de' text \(fields: 'en', 'fr'\)"):
        task.read_file(broken)


def test_one_side_of_a_parallel_corpus_is_not_a_dataset(tmp_path):
    with pytest.raises(UserError, match="one side of a parallel corpus"):
        TranslateTask().read_file(write(tmp_path / "train.de", DE))


@pytest.mark.skipif(not MULTI30K.is_dir(), reason="../shared/data/translation/multi30k is absent")
def test_the_real_multi30k_folder():
    task = TranslateTask().configured({"src": "de", "tgt": "en"})
    splits = task.splits_in(MULTI30K)
    assert list(splits) == ["train", "validation"]
    validation = task.read_split(splits["validation"])
    assert len(validation) == 1014 and all(example["de"] and example["en"] for example in validation)


# -- the commands ------------------------------------------------------------------------

@pytest.fixture
def small_corpus(tmp_path):
    """A folder of generated pairs in the Multi30k layout, small enough for a quick run."""
    folder = tmp_path / "small"
    folder.mkdir()
    for split, count in (("train", 120), ("val", 8), ("test", 8)):
        pairs = generate({"val": "validation"}.get(split, split), count, 0)
        write(folder / f"{split}.en", [p["en"] for p in pairs])
        write(folder / f"{split}.de", [p["de"] for p in pairs])
    return folder


def test_finetune_eval_and_run_both_ways(small_corpus):
    ok(run("finetune", "translate", "--data", small_corpus, "--src", "de", "--tgt", "en", "--name", "de-en",
           *TINY_FINETUNE_ARGS))
    report = json.loads(ok(run("eval", "translate", "-m", "de-en", "--data", small_corpus, "--json",
                               "--beams", "2")).stdout)
    assert report["examples"] == 8 and set(report["metrics"]) == {"bleu", "chrf"}
    assert report["notes"]["bleu_signature"].startswith("nrefs:1")
    ok(run("run", "translate", "-m", "de-en", "der Hund schläft"))  # the model keeps its direction
    result = run("eval", "translate", "-m", "de-en", "--data", small_corpus, "--src", "fr")
    assert result.exit_code == 1 and "no .fr files" in result.output


def test_data_show_and_help_name_the_options():
    shown = ok(run("data", "show", "grammar-en-de", "--split", "test", "-n", "1", "--src", "de", "--tgt", "en",
                   "--json"))
    info = json.loads(shown.stdout)
    assert info["prompt_format"] == "{de} ="
    assert "--src LANG" in ok(run("eval", "translate", "--help")).output
