"""The tokenizer of an imported model, over Hugging Face's `tokenizers` library.

`HFTokenizer` has the interface of llmcli's SentencePiece `Tokenizer` (model/tokenizer.py),
so everything downstream (batches, heads, generation, offsets for the span head) works
with either. Its files are Hugging Face's own: `tokenizer.json` (the whole pipeline:
normalizer, pre-tokenizer, model, decoder) and `tokenizer_config.json` (which tokens are
bos, eos, pad and unk, and the chat template).

Two choices make it behave as llmcli's SentencePiece models do:

- `encode` adds no special tokens, and text never encodes to a special token: a
  "<|im_end|>" typed in a prompt or found in a corpus is ordinary text (transformers'
  `split_special_tokens=True`). Only code that means to (a chat template) puts special
  ids in, by id. On text without special-token strings the ids are transformers' own.
- `decode` drops special tokens (they decode to "", as SentencePiece's control tokens
  do); every other token, added ones included, decodes to its text. So
  `decode(encode(text)) == text` for any text, when the tokenizer has no normalizer and
  a token for every byte. (SmolLM2's vocabulary lacks 21 byte values, 0x04 and 0xF1 among
  them; its own tokenizer drops them, and so does this one: the ids stay the model's.)

Roles the model lacks are filled as transformers users expect: bos = eos when there is no
bos, pad = eos when there is no pad, sep = eos (no imported family has a separator),
unk = -1 when there is none, newline_id = the id of "\\n" when it is one token, else -1.

`tokenizers` is imported inside functions: importing this module stays cheap.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from llmcli.files import atomic_write_bytes, atomic_write_json
from llmcli.model.tokenizer import TokenizerError, token_offsets

TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
ROLES = ("bos", "eos", "pad", "unk")
CHUNK_CHARS = 1 << 20  # encode_file_text encodes a long text in pieces of about this size
# a newline followed by a visible character: the pre-tokenizers that allow cutting there
# (CHUNK_SAFE) never join the two, so pieces cut there encode as the whole text does
_CUT = re.compile(r"\n(?=\S)")
CHUNK_SAFE = {"Sequence", "Split", "Digits", "ByteLevel"}
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")


class HFTokenizer:
    """Encode text to ids and back with a Hugging Face `tokenizers.Tokenizer`."""

    def __init__(self, tokenizer, config: dict | None = None):
        """tokenizer: a tokenizers.Tokenizer; config: tokenizer_config.json's contents
        (the `*_token` roles and `chat_template` are read; the rest is kept as is)."""
        self._tok = tokenizer
        self._tok.encode_special_tokens = True  # text never becomes a special token
        self.config = dict(config or {})
        self.chat_template: str | None = self.config.get("chat_template")
        ids = {role: self._role_id(role) for role in ROLES}
        if ids["eos"] < 0 and ids["bos"] < 0:
            raise TokenizerError("the tokenizer names no eos_token (nor bos_token) in "
                                 f"{TOKENIZER_CONFIG}: llmcli needs one to mark where a text ends")
        self.eos_id = ids["eos"] if ids["eos"] >= 0 else ids["bos"]
        self.bos_id = ids["bos"] if ids["bos"] >= 0 else self.eos_id
        self.pad_id = ids["pad"] if ids["pad"] >= 0 else self.eos_id
        self.unk_id = ids["unk"]
        self.sep_id = self.eos_id
        self.mask_id = None  # imported models are causal: no masked-LM token
        newline = self.encode("\n")
        self.newline_id = newline[0] if len(newline) == 1 else -1
        spec = json.loads(self._tok.to_str())
        self._chunkable = _chunk_safe(spec)
        self._byte_level = _has_type(spec.get("decoder"), "ByteLevel")
        self._prepends = _has_type(spec.get("normalizer"), "Prepend")  # SentencePiece's space
        self._widths: list[int] | None = None

    def _role_id(self, role: str) -> int:
        token = self.config.get(f"{role}_token")
        if isinstance(token, dict):  # an AddedToken as transformers writes it
            token = token.get("content")
        if token is None:
            return -1
        i = self._tok.token_to_id(token)
        if i is None:
            raise TokenizerError(f"{TOKENIZER_CONFIG} names {role}_token {token!r}, which is "
                                 "not in the tokenizer's vocabulary: the files don't belong together")
        return i

    # -- loading, saving --------------------------------------------------------------

    @classmethod
    def from_json(cls, tokenizer_json: str, config: dict | None = None) -> "HFTokenizer":
        """From the text of a tokenizer.json and tokenizer_config.json's contents."""
        from tokenizers import Tokenizer as RustTokenizer

        try:
            tokenizer = RustTokenizer.from_str(tokenizer_json)
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            raise TokenizerError(f"not a valid tokenizer.json: {exc}") from None
        return cls(tokenizer, config)

    @classmethod
    def load(cls, path) -> "HFTokenizer":
        """From a folder holding tokenizer.json (and tokenizer_config.json), or from the
        path of a tokenizer.json (its tokenizer_config.json beside it, when there is one)."""
        json_path, config_path = _paths(path)
        try:
            text = json_path.read_text(encoding="utf-8")
            config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TokenizerError(f"can't read the tokenizer in {json_path.parent}: {exc}") from None
        return cls.from_json(text, config)

    def save(self, path) -> None:
        """Write tokenizer.json and tokenizer_config.json atomically, into the folder
        `path` or, for a path ending in .json, as that file and the config beside it."""
        json_path, config_path = _paths(path)
        atomic_write_bytes(json_path, self._tok.to_str().encode("utf-8"))
        atomic_write_json(config_path, self.config)

    def to_bytes(self) -> bytes:
        """Both files in one byte string, for from_bytes (shared between processes)."""
        return json.dumps({"tokenizer": self._tok.to_str(), "config": self.config}).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "HFTokenizer":
        try:
            both = json.loads(bytes(data).decode("utf-8"))
            return cls.from_json(both["tokenizer"], both["config"])
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TokenizerError(f"not a valid tokenizer: {exc}") from None

    def __reduce__(self):
        raise TypeError("HFTokenizer is not picklable; store to_bytes() or save() its files")

    # -- encoding and decoding --------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)

    def id_to_piece(self, i: int) -> str:
        return self._tok.id_to_token(int(i)) or ""

    def encode(self, text: str) -> list[int]:
        """Ids for text, without special tokens."""
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_template(self, text: str) -> list[int]:
        """Ids for what a chat template rendered: there, and only there, the strings of
        special tokens ("<|im_start|>") are those tokens."""
        self._tok.encode_special_tokens = False
        try:
            return self._tok.encode(text, add_special_tokens=False).ids
        finally:
            self._tok.encode_special_tokens = True

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """Ids for each text, encoded in parallel by tokenizers."""
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encodings]

    def encode_file_text(self, text: str) -> list[int]:
        """Ids for a long text, the same as encode(text): encoded in parallel pieces cut
        where the pre-tokenizer always splits, or whole when it is not one of CHUNK_SAFE."""
        if not self._chunkable or len(text) <= CHUNK_CHARS:
            return self.encode(text)
        ids: list[int] = []
        for part in self.encode_batch(_pieces(text, CHUNK_CHARS)):
            ids.extend(part)
        return ids

    def token_bytes(self, i: int) -> int:
        """How many bytes of text token i stands for (0 for special tokens)."""
        if self._widths is None:
            self._widths = self._token_widths()
        return self._widths[int(i)]

    def _token_widths(self) -> list[int]:
        added = self._tok.get_added_tokens_decoder()
        widths = []
        for i in range(self.vocab_size):
            token = added.get(i)
            if token is not None:
                widths.append(0 if token.special else len(token.content.encode("utf-8")))
            else:
                widths.append(_piece_width(self._tok.id_to_token(i), self._byte_level))
        return widths

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Ids for text and, for each, the (start, end) characters of text it covers; a
        character split over several byte tokens belongs to each of them."""
        ids = self.encode_file_text(text)
        widths = [self.token_bytes(i) for i in ids]
        extra = sum(widths) - len(text.encode("utf-8"))
        if extra == 1 and self._prepends:  # the space put before the text is in no character
            first = next(k for k, w in enumerate(widths) if w)
            widths[first] -= 1
        elif extra:
            raise TokenizerError("this tokenizer changes the text it encodes (a normalizer, or bytes "
                                 "without a token), so its tokens have no exact offsets in it")
        return ids, token_offsets(text, list(range(len(ids))), widths.__getitem__)

    def decode(self, ids: Iterable[int]) -> str:
        """Text for ids; special tokens decode to ''."""
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True)


def _paths(path) -> tuple[Path, Path]:
    path = Path(path)
    json_path = path if path.suffix == ".json" else path / TOKENIZER_JSON
    return json_path, json_path.parent / TOKENIZER_CONFIG


def _has_type(spec, name: str) -> bool:
    """Whether a tokenizer.json component (or one in its Sequence) is of type name."""
    if not isinstance(spec, dict):
        return False
    parts = spec.get("decoders") or spec.get("pretokenizers") or spec.get("normalizers") or []
    return spec.get("type") == name or any(_has_type(p, name) for p in parts)


def _chunk_safe(spec: dict) -> bool:
    """Whether cutting the text after a newline that a visible character follows leaves
    the ids unchanged: no normalizer but NFC, and only pre-tokenizers that split there anyway."""
    normalizer = spec.get("normalizer")
    if normalizer is not None and normalizer.get("type") != "NFC":  # NFC joins nothing to a newline
        return False
    todo, seen = [spec.get("pre_tokenizer")], 0
    while todo:
        node = todo.pop()
        if not isinstance(node, dict) or node.get("type") not in CHUNK_SAFE:
            return False
        if node.get("type") == "ByteLevel" and node.get("add_prefix_space"):
            return False
        todo.extend(node.get("pretokenizers") or [])
        seen += 1
    return seen > 0


def _pieces(text: str, size: int) -> list[str]:
    """text cut into pieces of about size characters, each ending in a newline that a
    visible character follows (the last piece ends where text does)."""
    pieces, start = [], 0
    while len(text) - start > size:
        cut = _CUT.search(text, start + size)
        if cut is None:
            break
        pieces.append(text[start:cut.end()])
        start = cut.end()
    pieces.append(text[start:])
    return pieces


def _piece_width(piece: str | None, byte_level: bool) -> int:
    """Bytes of text a vocabulary piece stands for: a byte-level piece has one character
    per byte (GPT-2's alphabet); a SentencePiece-style one shows spaces as U+2581 and
    single bytes as <0xNN>."""
    if piece is None:
        return 0
    if byte_level:
        return len(piece)
    if _BYTE_PIECE.fullmatch(piece):
        return 1
    return len(piece.replace("\u2581", " ").encode("utf-8"))
