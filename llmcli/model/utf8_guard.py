"""Decoding that writes valid UTF-8 only.

A byte-fallback token (<0xE4>) stands for one byte of a character the vocabulary has no
piece for. Sampled in an order UTF-8 does not allow, byte tokens decode to U+FFFD; an
untrained one (<0x00>) writes a NUL. `ByteGuard` masks, at each step, what cannot come
next: while a character is half written, every token but the byte tokens that continue
it (eos included); otherwise the byte tokens that cannot begin a character. Masked at
every step: the byte token of an ASCII character that has a piece of its own (encoding
never produces it), of a control character other than tab, newline and carriage return
(a NUL comes out only through a piece the tokenizer learnt from its training text), and
<unk>, which byte fallback leaves unused.
"""

from __future__ import annotations

import copy

ANY = (0x80, 0xBF)  # the range of a continuation byte
WHITESPACE_CONTROLS = (0x09, 0x0A, 0x0D)


def following(lead: int) -> list[tuple[int, int]] | None:
    """The ranges the bytes after a lead byte must fall in (RFC 3629: no overlong forms,
    no surrogates, nothing past U+10FFFF); [] for ASCII; None for a byte that cannot
    begin a character."""
    if lead < 0x80:
        return []
    if 0xC2 <= lead <= 0xDF:
        return [ANY]
    if lead == 0xE0:
        return [(0xA0, 0xBF), ANY]
    if lead == 0xED:
        return [(0x80, 0x9F), ANY]
    if 0xE1 <= lead <= 0xEF:
        return [ANY, ANY]
    if lead == 0xF0:
        return [(0x90, 0xBF), ANY, ANY]
    if 0xF1 <= lead <= 0xF3:
        return [ANY, ANY, ANY]
    if lead == 0xF4:
        return [(0x80, 0x8F), ANY, ANY]
    return None


def unfinished_tail(byte_values: list[int | None]) -> int:
    """How many of the last tokens (their byte values, None for a token that is not a
    byte) are the start of a character not yet complete: they are held back for good
    when decoding ends there."""
    for back in range(1, min(4, len(byte_values)) + 1):
        value = byte_values[-back]
        if value is None:
            return 0
        rest = following(value)
        if rest is not None:  # the last lead byte: is its character complete?
            return back if len(rest) >= back else 0
    return 0


class ByteGuard:
    """Per-step masks over the vocabulary; `observe` each token picked, `mask` the logits."""

    def __init__(self, tokenizer, vocab: int, device):
        import torch

        byte_ids = tokenizer.byte_ids()
        self.byte_of = byte_values(tokenizer)
        own_piece = tokenizer.ascii_with_pieces()
        never = [tokenizer.unk_id] + [byte_ids[b] for b in range(0x80) if b in own_piece or (
            (b < 0x20 or b == 0x7F) and b not in WHITESPACE_CONTROLS)]
        cannot_begin = [byte_ids[b] for b in range(0x80, 0x100) if following(b) is None]  # continuations too
        self.between = torch.zeros(vocab, dtype=torch.bool, device=device)  # True: masked
        self.between[torch.tensor(never + cannot_begin, device=device)] = True
        self.within: dict[tuple[int, int], object] = {}  # a continuation's range -> what is masked
        for low, high in {r for lead in range(0xC2, 0xF5) for r in following(lead)}:
            mask = torch.ones(vocab, dtype=torch.bool, device=device)
            mask[torch.tensor(byte_ids[low : high + 1], device=device)] = False
            self.within[(low, high)] = mask
        self.pending: list[tuple[int, int]] = []  # the ranges of the bytes the character still needs

    def masked(self):
        """What cannot come next: a boolean tensor over the vocabulary."""
        return self.within[self.pending[0]] if self.pending else self.between

    def mask(self, logits):
        return logits.masked_fill(self.masked(), float("-inf"))

    def fresh(self) -> "ByteGuard":
        """A guard with the same masks, between characters (one for each row of a batch)."""
        other = copy.copy(self)
        other.pending = []
        return other

    def observe(self, token: int) -> None:
        value = self.byte_of.get(token)
        if value is None:
            return
        if self.pending:
            self.pending.pop(0)
        else:
            self.pending = list(following(value) or [])


def byte_values(tokenizer) -> dict[int, int]:
    """{token id: byte value} of a tokenizer's byte tokens ({} for one without any)."""
    if not hasattr(tokenizer, "byte_ids"):
        return {}
    return {token: value for value, token in enumerate(tokenizer.byte_ids())}


def unfinished_ids(byte_of: dict[int, int], ids: list[int]) -> int:
    """How many of the last ids begin a character they do not finish."""
    return unfinished_tail([byte_of.get(i) for i in ids[-4:]]) if byte_of else 0


def complete_text(tokenizer, ids: list[int]) -> str:
    """The text of ids, less a character the last ids began and did not finish."""
    return tokenizer.decode(ids[: len(ids) - unfinished_ids(byte_values(tokenizer), ids)])


def guard_for(tokenizer, model_config, device) -> ByteGuard | None:
    """A guard for a tokenizer with byte-fallback tokens (llmcli's); None for another."""
    if not hasattr(tokenizer, "byte_ids"):
        return None
    return ByteGuard(tokenizer, model_config.vocab_size, device)
