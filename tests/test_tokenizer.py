"""Tests for llmcli.model.tokenizer: training, exact round trips, special tokens, errors."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import re
import subprocess
import sys

import pytest

from llmcli.model.tokenizer import (
    NUM_RESERVED,
    Tokenizer,
    TokenizerError,
    _training_lines,
    default_vocab_size,
)

# -- a small generated corpus ----------------------------------------------------------

NOUNS = ("cat dog river garden window teacher market bridge lantern village kettle "
         "harbor engine pencil forest valley ladder orchard meadow island").split()
VERBS = ("finds carries watches paints follows opens builds remembers crosses visits "
         "repairs borrows sells counts").split()
ADJS = "quiet bright old tiny curious heavy green distant warm broken patient".split()
ADVS = "slowly often never gladly almost quietly twice".split()
PLACES = "in the morning|after dinner|near the station|on a rainy day|before sunrise".split("|")
HANZI = "我们今天去公园散步天气很好朋友喜欢吃饭学习中文书店城市山水明月回家"
EMOJI = ["😀", "🎉", "👍", "🚀", "🌧️", "❤️", "👩‍💻", "🇫🇷"]


def _sentence(r: random.Random) -> str:
    words = [r.choice(["The", "A", "Every", "My"]), r.choice(ADJS), r.choice(NOUNS),
             r.choice(ADVS), r.choice(VERBS), "the", r.choice(NOUNS), r.choice(PLACES)]
    s = " ".join(words)
    if r.random() < 0.3:
        s += f", {r.randint(0, 99999)} times"
    s += r.choice([".", ".", "!", "?"])
    if r.random() < 0.15:
        s += " " + "".join(r.choice(HANZI) for _ in range(r.randint(4, 10))) + "。"
    if r.random() < 0.1:
        s += " " + r.choice(EMOJI)
    return s


def _corpus(seed: int, target_bytes: int) -> str:
    r = random.Random(seed)
    lines, n = [], 0
    while n < target_bytes:
        line = " ".join(_sentence(r) for _ in range(r.randint(1, 4)))
        if r.random() < 0.05:
            line = "\t" + line  # some indentation
        lines.append(line)
        lines.extend([""] * (r.random() < 0.1))  # some paragraph breaks
        n += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(_corpus(0, 150_000), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bpe(corpus):
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()
    tok = Tokenizer.train(corpus, corpus.parent / "bpe.model")
    assert hashlib.sha256(corpus.read_bytes()).hexdigest() == digest  # user file untouched
    return tok


@pytest.fixture(scope="module")
def unigram(corpus):
    return Tokenizer.train(corpus, corpus.parent / "uni.model", vocab_size=512,
                           model_type="unigram", max_seconds=10)


@pytest.fixture(params=["bpe", "unigram"])
def tok(request):
    return request.getfixturevalue(request.param)


# -- round trips -----------------------------------------------------------------------

SAMPLES = [
    "hello world",
    "The quiet cat slowly finds the river.",
    "我们今天去公园散步。",
    "😀🎉👍",
    "👩‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🏳️‍🌈 flag",  # ZWJ sequences and skin tones
    "🇯🇵🇫🇷🇧🇷",  # flags are regional-indicator pairs
    "Mixed: Ελληνικά, русский, العربية, हिन्दी, 日本語のテキスト, 한국어 ok",
    "naïve café résumé — “quotes” … ½ ∑ √2",
    "",
    " ",
    "   leading spaces",
    "trailing spaces   ",
    "double  space and   triple",
    "\ttab\tseparated\t",
    "\n",
    "\n\n\nlines\n\n",
    "line one\r\nline two\r\n",
    "control \x00\x01\x07\x1b[0m\x7f chars",
    "zero\u200bwidth\ufeff and\u3000ideographic space\u00a0nbsp",
    "\u2581 literal meta \u2581\u2581 symbol\u2581",
    "digits 1234567890 3.14159 -42 1e10",
    "<sep> <pad> <unk> <bos> <eos> <extra_0> </s> <s>",
    "x" * 5000,
]


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip(tok, text):
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == text
    assert tok.decode(tok.encode_file_text(text)) == text


def test_round_trip_random_unicode(bpe):
    r = random.Random(7)
    for _ in range(200):
        # any code point except surrogates, which are not valid in UTF-8
        s = "".join(chr(r.choice([r.randint(0, 0x7F), r.randint(0x80, 0xD7FF),
                                  r.randint(0xE000, 0x10FFFF)])) for _ in range(r.randint(0, 40)))
        assert bpe.decode(bpe.encode(s)) == s


def test_newline_is_one_token(tok):
    assert tok.encode("\n") == [tok.newline_id]
    assert tok.id_to_piece(tok.newline_id) == "\n"
    assert tok.encode("a\nb").count(tok.newline_id) == 1


def test_corpus_round_trip_and_compression(tok, corpus):
    text = corpus.read_text(encoding="utf-8")
    ids = tok.encode_file_text(text)
    assert tok.decode(ids) == text
    assert len(ids) < len(text) / 1.5  # subwords actually compress the text
    assert tok.unk_id not in ids


def test_encode_batch_matches_encode(tok):
    assert tok.encode_batch(SAMPLES) == [tok.encode(s) for s in SAMPLES]


def test_encode_file_text_matches_lines(bpe):
    text = "first line\n\nthird line\r\nlast"
    expected = []
    for i, line in enumerate(text.split("\n")):
        expected += ([bpe.newline_id] if i else []) + bpe.encode(line)
    assert bpe.encode_file_text(text) == expected


# -- special tokens --------------------------------------------------------------------

def test_special_ids(tok):
    specials = [tok.pad_id, tok.unk_id, tok.bos_id, tok.eos_id, tok.sep_id, *tok.extra_ids]
    assert tok.pad_id == 0
    assert len(tok.extra_ids) == 4
    assert len(set(specials + [tok.newline_id])) == len(specials) + 1
    assert all(0 <= i < tok.vocab_size for i in specials)
    for i in [tok.pad_id, tok.bos_id, tok.eos_id, tok.sep_id, *tok.extra_ids]:
        assert tok.decode([i]) == ""
    assert tok.decode([tok.bos_id] + tok.encode("hi there") + [tok.sep_id, tok.eos_id,
                                                             tok.pad_id]) == "hi there"
    assert tok.id_to_piece(tok.sep_id) == "<sep>"


def test_special_text_is_not_special(tok):
    control = {tok.pad_id, tok.bos_id, tok.eos_id, tok.sep_id, *tok.extra_ids}
    for text in ["<sep>", "a<sep>b", "<pad><bos><eos><extra_0><extra_3>", "</s><s>"]:
        ids = tok.encode(text)
        assert not control & set(ids)
        assert tok.decode(ids) == text


def test_vocab_size(bpe, unigram, corpus):
    assert unigram.vocab_size == 512
    assert NUM_RESERVED < bpe.vocab_size <= default_vocab_size(corpus.stat().st_size)


# -- persistence -----------------------------------------------------------------------

def test_save_load_from_bytes(bpe, tmp_path, corpus):
    saved = Tokenizer.load(corpus.parent / "bpe.model")  # written by train()
    path = tmp_path / "copy.model"
    bpe.save(path)
    assert os.listdir(tmp_path) == ["copy.model"]  # no temp file left behind
    loaded = Tokenizer.load(path)
    from_bytes = Tokenizer.from_bytes(bpe.to_bytes())
    assert path.read_bytes() == bpe.to_bytes() == saved.to_bytes()
    for other in (saved, loaded, from_bytes):
        assert other.vocab_size == bpe.vocab_size
        assert other.encode_batch(SAMPLES) == bpe.encode_batch(SAMPLES)
        assert (other.sep_id, other.extra_ids) == (bpe.sep_id, bpe.extra_ids)


def test_not_picklable(bpe):
    with pytest.raises(TypeError, match="to_bytes"):
        pickle.dumps(bpe)


def test_bad_model_bytes():
    with pytest.raises(TokenizerError):
        Tokenizer.from_bytes(b"not a model")


def test_import_is_lazy():
    code = "import sys, llmcli.model.tokenizer; print('sentencepiece' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- errors and sizes ------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.txt"
    path.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20, encoding="utf-8")
    return path


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_corpus_too_small(tiny, tmp_path, model_type):
    with pytest.raises(TokenizerError) as info:
        Tokenizer.train(tiny, tmp_path / "t.model", vocab_size=8000, model_type=model_type)
    msg = str(info.value)
    m = re.search(r"at most (\d+)\): pass --vocab-size (\d+) or less", msg)
    assert m and m.group(1) == m.group(2) and "\n" not in msg
    assert not (tmp_path / "t.model").exists()
    if model_type == "bpe":  # the suggested size works
        tok = Tokenizer.train(tiny, tmp_path / "t.model", vocab_size=int(m.group(1)))
        assert tok.vocab_size == int(m.group(1))


def test_vocab_below_reserved(tiny, tmp_path):
    with pytest.raises(TokenizerError, match="reserved"):
        Tokenizer.train(tiny, tmp_path / "t.model", vocab_size=100)


def test_vocab_below_characters(corpus, tmp_path):
    # the corpus has more characters than fit in NUM_RESERVED + 2 ids
    with pytest.raises(TokenizerError, match=r"at least \d+.*--vocab-size \d+ or more"):
        Tokenizer.train(corpus, tmp_path / "t.model", vocab_size=NUM_RESERVED + 2)


def test_auto_vocab_fits_tiny_corpus(tiny, tmp_path):
    tok = Tokenizer.train(tiny, tmp_path / "t.model")
    assert NUM_RESERVED < tok.vocab_size <= default_vocab_size(0)
    assert tok.decode(tok.encode("the cat sat")) == "the cat sat"


def test_bad_inputs(tmp_path, tiny):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(TokenizerError):
        Tokenizer.train(empty, tmp_path / "t.model")
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n\n")
    with pytest.raises(TokenizerError, match="no text"):
        Tokenizer.train(blank, tmp_path / "t.model")
    with pytest.raises(TokenizerError, match="model_type"):
        Tokenizer.train(tiny, tmp_path / "t.model", model_type="wordpiece")


def test_long_lines_are_not_skipped(tmp_path):
    r = random.Random(3)
    path = tmp_path / "one_line.txt"
    path.write_text(" ".join(r.choice(NOUNS) for _ in range(8000)), encoding="utf-8")  # ~55 KB
    tok = Tokenizer.train(path, tmp_path / "t.model")
    assert tok.decode(tok.encode("lantern orchard")) == "lantern orchard"
    assert len(tok.encode("lantern orchard")) < 6


def test_training_sample_spans_file(corpus):
    lines = set(corpus.read_text(encoding="utf-8").split("\n"))
    sample = list(_training_lines(str(corpus), 30_000))
    assert sample and all(line in lines for line in sample)
    assert sum(len(s.encode()) + 1 for s in sample) <= 30_000
    text = corpus.read_text(encoding="utf-8")
    assert text.index(sample[-1]) > len(text) // 2  # not just the head of the file


def test_default_vocab_size():
    sizes = [0, 10_000, 50_000, 300_000, 1_000_000, 10_000_000, 100_000_000, 10**12]
    values = [default_vocab_size(n) for n in sizes]
    assert values == sorted(values)
    assert all(v % 64 == 0 and NUM_RESERVED < v <= 16384 for v in values)
    assert 256 <= default_vocab_size(50_000) <= 512
    assert default_vocab_size(1_000_000) == 2048
    assert default_vocab_size(100_000_000) == default_vocab_size(10**12) == 16384
