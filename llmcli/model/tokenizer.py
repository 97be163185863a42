"""A subword tokenizer: a thin wrapper around a sentencepiece model.

Models are trained so that any text round-trips exactly (byte fallback, no normalization,
whitespace kept as is), and ids for task formats (pad, bos, eos, <sep>, spares) are
reserved as control symbols that ordinary text never encodes to. "[MASK]", the token a
masked-LM encoder fills in, is a user-defined symbol: written in a prompt, it is that one
token (tokenizers trained before it have none: `mask_id` is None). sentencepiece is
imported lazily so importing this module stays cheap.
"""

from __future__ import annotations

import io
import math
import os
import re
from typing import Iterable, Iterator

from llmcli.files import atomic_write_bytes

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SEP = "<sep>"
MASK = "[MASK]"
EXTRAS = [f"<extra_{i}>" for i in range(4)]
NEWLINE = "\n"
# pad, unk, bos, eos, <sep>, 4 spares, [MASK], "\n", and the 256 byte-fallback tokens
NUM_RESERVED = 4 + 1 + len(EXTRAS) + 2 + 256
# sentencepiece shows spaces as U+2581 and turns that character back into a space when
# decoding, so a literal U+2581 in the input is encoded as its three UTF-8 byte tokens.
_META = "\u2581"
_META_BYTES = ["<0xE2>", "<0x96>", "<0x81>"]

MAX_SENTENCE_BYTES = 16384   # sentencepiece skips longer lines; we cut them shorter
MAX_TRAIN_LINES = 300_000    # lines sampled (shuffled) by sentencepiece for training
MAX_TRAIN_BYTES = 64 << 20   # bytes read from the file; bigger files are sampled in blocks
_BLOCK = 1 << 20
# Rough training throughput on one or two cores, used only to honour max_seconds.
_BYTES_PER_SECOND = {"bpe": 2_000_000, "unigram": 200_000}


class TokenizerError(ValueError):
    """A tokenizer can't be trained or loaded; the message says what to change."""


def default_vocab_size(num_bytes: int) -> int:
    """A vocabulary size for a corpus of num_bytes bytes (a multiple of 64)."""
    # 2048 * sqrt(size in MB), rounded to a multiple of 64 and kept in [384, 16384]:
    # 50 KB -> 448, 1 MB -> 2048, 10 MB -> 6464, 100 MB and more -> 16384.
    # The floor leaves room for about a hundred characters above the 266 reserved ids.
    v = 2048 * math.sqrt(max(num_bytes, 0) / 1e6)
    return int(min(16384, max(384, round(v / 64) * 64)))


def _threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _training_lines(path: str, max_bytes: int) -> Iterator[str]:
    """Yield the file's non-empty lines, reading at most about max_bytes of it.

    A bigger file is sampled as evenly spaced blocks of up to 1 MB (minus their cut
    first and last lines) so the sample spans the whole file. Long lines are cut to
    fit MAX_SENTENCE_BYTES, since sentencepiece would silently skip them.
    """
    size = os.path.getsize(path)
    max_chars = MAX_SENTENCE_BYTES // 4  # a character is at most 4 bytes in UTF-8
    with open(path, "rb") as f:
        if size <= max_bytes:
            raw_lines: Iterable[bytes] = f
        else:
            block = min(_BLOCK, max(4096, max_bytes // 16))  # at least 16 spread-out blocks
            raw_lines = _sampled_lines(f, size, block, max(1, max_bytes // block))
        for raw in raw_lines:
            line = raw.rstrip(b"\n").decode("utf-8", "replace")  # "\r" is kept, as in encode
            for i in range(0, len(line), max_chars):
                yield line[i:i + max_chars]


def _sampled_lines(f, size: int, block: int, blocks: int) -> Iterator[bytes]:
    for b in range(blocks):
        start = b * size // blocks
        f.seek(start)
        lines = f.read(block).split(b"\n")
        yield from lines[1 if start else 0:-1]


def _explain(err: RuntimeError, vocab_size: int) -> tuple[TokenizerError, int | None]:
    """Turn a sentencepiece training error into a clear one, plus the size it suggests."""
    msg = str(err)
    m = re.search(r"Vocabulary size too high \((\d+)\).*?<= (\d+)", msg)
    if m:
        most = int(m.group(2))
        return TokenizerError(
            f"corpus too small for a vocabulary of {vocab_size} tokens (it supports at "
            f"most {most}): pass --vocab-size {most} or less, or use a larger file"), most
    m = re.search(r"smaller than required_chars\. (\d+) vs (\d+)", msg)
    if m:
        least = int(m.group(2))
        return TokenizerError(
            f"a vocabulary of {vocab_size} tokens is too small for this corpus (it needs at "
            f"least {least}: {NUM_RESERVED} reserved ids plus its characters): "
            f"pass --vocab-size {least} or more"), least
    if "sentences_.empty()" in msg:
        return TokenizerError("no text to train on: the file has only empty lines"), None
    first = msg.strip().splitlines()[-1] if msg.strip() else type(err).__name__
    return TokenizerError(f"tokenizer training failed: {first}"), None


def _train_sentencepiece(path: str, max_bytes: int, vocab_size: int, model_type: str) -> bytes:
    """One sentencepiece training run on (a sample of) the file: the model's bytes."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=_training_lines(path, max_bytes), model_writer=model,
        vocab_size=vocab_size, model_type=model_type, byte_fallback=True,
        normalization_rule_name="identity", add_dummy_prefix=False,
        remove_extra_whitespaces=False, split_digits=True,
        # a run of spaces (code's indentation) may be one piece: 12% fewer tokens on code
        allow_whitespace_only_pieces=True,
        # 0.9995 leaves very rare characters (a stray CJK glyph) to byte fallback
        character_coverage=0.9995,
        pad_id=0, unk_id=1, bos_id=2, eos_id=3,
        pad_piece=PAD, unk_piece=UNK, bos_piece=BOS, eos_piece=EOS,
        control_symbols=[SEP, *EXTRAS],
        # sentencepiece trains line by line; "\n" gets its own id for encode_file_text
        user_defined_symbols=[MASK, NEWLINE],
        input_sentence_size=MAX_TRAIN_LINES, shuffle_input_sentence=True,
        max_sentence_length=MAX_SENTENCE_BYTES, train_extremely_large_corpus=False,
        num_threads=_threads(), minloglevel=2)
    return model.getvalue()


class Tokenizer:
    """Encode text to ids and back with a trained sentencepiece model."""

    def __init__(self, processor):
        self._sp = processor
        pid = processor.piece_to_id
        self.pad_id, self.unk_id = pid(PAD), pid(UNK)
        self.bos_id, self.eos_id, self.sep_id = pid(BOS), pid(EOS), pid(SEP)
        self.extra_ids = [pid(p) for p in EXTRAS]
        self.newline_id = pid(NEWLINE)
        self.mask_id = pid(MASK) if pid(MASK) != pid(UNK) else None
        self._meta_ids = [pid(p) for p in _META_BYTES]
        missing = [p for p, i in [(SEP, self.sep_id), (NEWLINE, self.newline_id)]
                   + list(zip(_META_BYTES, self._meta_ids)) if i == self.unk_id]
        if missing or self.unk_id != 1:
            raise TokenizerError(f"not an llmcli tokenizer model (missing {missing!r})")

    # -- training, loading, saving --------------------------------------------------

    @classmethod
    def train(cls, text_path, out_path, vocab_size: int | None = None,
              model_type: str = "bpe", max_seconds: float | None = None,
              adjustable: bool = False) -> "Tokenizer":
        """Train on a UTF-8 text file, save the model to out_path, return the tokenizer.

        vocab_size None picks default_vocab_size() of the sample; that size, or a given one
        with adjustable=True, is lowered or raised to what the corpus supports.
        max_seconds shrinks the sample to train in about that time.
        """
        import sentencepiece as spm

        if model_type not in ("bpe", "unigram"):
            raise TokenizerError(f"model_type must be 'bpe' or 'unigram', not {model_type!r}")
        if vocab_size is not None and vocab_size <= NUM_RESERVED:
            raise TokenizerError(
                f"a vocabulary of {vocab_size} tokens is too small: {NUM_RESERVED} ids are "
                f"reserved for special and byte tokens, pass --vocab-size 384 or more")
        path = os.fspath(text_path)
        max_bytes = MAX_TRAIN_BYTES
        if max_seconds is not None:
            budget = max_seconds * _BYTES_PER_SECOND[model_type]
            max_bytes = int(min(max_bytes, max(256 << 10, budget)))
        size = os.path.getsize(path)
        if size == 0:
            raise TokenizerError(f"{path} is empty: there is no text to train on")
        auto = vocab_size is None or adjustable
        if vocab_size is None:
            vocab_size = default_vocab_size(min(size, max_bytes))

        spm.set_random_generator_seed(1234)  # same file, same model
        for _ in range(3):  # auto sizes may be retried with what sentencepiece suggests
            try:
                model = _train_sentencepiece(path, max_bytes, vocab_size, model_type)
                break
            except RuntimeError as e:
                err, suggested = _explain(e, vocab_size)
                if not auto or suggested is None or suggested == vocab_size:
                    raise err from None
                vocab_size = suggested
        else:
            raise err
        tok = cls.from_bytes(model)
        tok.save(out_path)
        return tok

    @classmethod
    def from_bytes(cls, data: bytes) -> "Tokenizer":
        """Load a model from the bytes of a .model file (sentencepiece's protobuf)."""
        import sentencepiece as spm

        try:
            return cls(spm.SentencePieceProcessor(model_proto=bytes(data)))
        except (RuntimeError, OSError) as e:
            raise TokenizerError(f"not a valid tokenizer model: {e}") from None

    @classmethod
    def load(cls, path) -> "Tokenizer":
        """Load a .model file."""
        with open(path, "rb") as f:
            return cls.from_bytes(f.read())

    def to_bytes(self) -> bytes:
        return self._sp.serialized_model_proto()

    def save(self, path) -> None:
        """Write the .model file atomically."""
        atomic_write_bytes(path, self.to_bytes())

    def __reduce__(self):
        # Keep the model out of pickles (checkpoints, worker processes): use to_bytes().
        raise TypeError("Tokenizer is not picklable; store to_bytes() or the .model file")

    # -- encoding and decoding ------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return self._sp.get_piece_size()

    def id_to_piece(self, i: int) -> str:
        return self._sp.id_to_piece(int(i))

    def encode(self, text: str) -> list[int]:
        """Ids for text, without bos/eos."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """Ids for each text, encoded in parallel by sentencepiece."""
        texts = list(texts)
        out = self._sp.encode(texts, num_threads=_threads())
        for i, text in enumerate(texts):
            if _META in text:  # rare: encode around each literal U+2581
                parts = self._sp.encode(text.split(_META), num_threads=_threads())
                ids = parts[0]
                for part in parts[1:]:
                    ids += self._meta_ids + part
                out[i] = ids
        return out

    def encode_file_text(self, text: str) -> list[int]:
        """Ids for a long text of many lines: lines are encoded in parallel and joined."""
        ids: list[int] = []
        for i, line_ids in enumerate(self.encode_batch(text.split(NEWLINE))):
            if i:
                ids.append(self.newline_id)
            ids.extend(line_ids)
        return ids

    def token_bytes(self, i: int) -> int:
        """How many bytes of text token i stands for (0 for control tokens)."""
        if self._sp.is_control(int(i)):
            return 0
        piece = self._sp.id_to_piece(int(i))
        if self._sp.is_byte(int(i)):
            return 1
        return len(piece.replace(_META, " ").encode("utf-8"))

    def byte_ids(self) -> list[int]:
        """The id of each byte's fallback token, by the byte's value."""
        return [self._sp.piece_to_id(f"<0x{b:02X}>") for b in range(256)]

    def ascii_with_pieces(self) -> set[int]:
        """The ASCII bytes whose character has a piece of its own: their byte tokens are
        never the encoding of any text."""
        byte_ids = self.byte_ids()
        encoded = self.encode_batch([chr(b) for b in range(0x80)])
        return {b for b, ids in enumerate(encoded) if ids != [byte_ids[b]]}

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids for text and, for each, the (start, end) characters of text it covers; a
        character split over several byte tokens belongs to each of them."""
        ids = self.encode_file_text(text)
        return ids, token_offsets(text, ids, self.token_bytes)

    def decode(self, ids: Iterable[int]) -> str:
        """Text for ids; control tokens (pad, bos, eos, <sep>, spares) decode to ''."""
        return self._sp.decode([int(i) for i in ids])



def token_offsets(text: str, ids: list[int], token_bytes) -> list[tuple[int, int]]:
    """The (start, end) characters of text that each of ids covers, given how many bytes
    of text each token stands for (`token_bytes(id)`, 0 for a control token, which gets
    an empty span where it stands). Shared by both tokenizer backends."""
    char_at = []  # the character index of every byte of text
    for index, char in enumerate(text):
        char_at.extend([index] * len(char.encode("utf-8")))
    offsets, byte = [], 0
    for i in ids:
        width = token_bytes(i)
        if width == 0:
            offsets.append((char_at[byte] if byte < len(char_at) else len(text),) * 2)
            continue
        offsets.append((char_at[byte], char_at[byte + width - 1] + 1))
        byte += width
    return offsets
