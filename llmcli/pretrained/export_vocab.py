"""An llmcli SentencePiece tokenizer described for export: every piece with its score and
kind, and the BPE merges that reproduce SentencePiece's segmentation.

SentencePiece's BPE repeatedly joins the adjacent pair whose joined piece scores highest;
a Hugging Face BPE model (and llama.cpp's "llama" tokenizer, which merges by score itself)
does the same when the merges are ranked by the score of the piece they make.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcli.errors import UserError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = "normal", "unknown", "control", "user_defined", "byte"


@dataclass
class Vocab:
    pieces: list[str]
    scores: list[float]
    kinds: list[str]  # one of the kinds above, for each piece
    pad_id: int
    unk_id: int
    bos_id: int
    eos_id: int

    def ids_of(self, kind: str) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == kind]


def vocab_of(tokenizer) -> Vocab:
    """The pieces of an llmcli Tokenizer (its SentencePiece model, read through the public
    sentencepiece API). Only BPE models are exported: a unigram model's segmentation is not
    a sequence of merges."""
    import sentencepiece as spm

    from llmcli.model.tokenizer import MASK, NEWLINE

    sp = spm.SentencePieceProcessor(model_proto=tokenizer.to_bytes())
    pieces, scores, kinds = [], [], []
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        pieces.append(piece)
        scores.append(float(sp.get_score(i)))
        if sp.is_unknown(i):
            kinds.append(UNKNOWN)
        elif sp.is_control(i):
            kinds.append(CONTROL)
        elif sp.is_byte(i):
            kinds.append(BYTE)
        elif piece in (NEWLINE, MASK):  # llmcli's user-defined symbols: never merged with others
            kinds.append(USER_DEFINED)
        else:
            kinds.append(NORMAL)
    check_bpe(pieces, kinds)
    return Vocab(pieces, scores, kinds, pad_id=tokenizer.pad_id, unk_id=tokenizer.unk_id,
                 bos_id=tokenizer.bos_id, eos_id=tokenizer.eos_id)


def check_bpe(pieces: list[str], kinds: list[str]) -> None:
    """A BPE model's every multi-character piece is made of two shorter pieces."""
    known = {p for p, k in zip(pieces, kinds) if k == NORMAL}
    for piece, kind in zip(pieces, kinds):
        if kind == NORMAL and len(piece) > 1 and not any(
                piece[:i] in known and piece[i:] in known for i in range(1, len(piece))):
            raise UserError(f"the tokenizer's piece {piece!r} is not a merge of two others: only BPE "
                            "tokenizers can be exported (this one looks like a unigram model)")


def merges(vocab: Vocab) -> list[tuple[str, str]]:
    """Every (left, right) pair of pieces that joins into a piece, the pairs that make the
    highest-scoring pieces first (as SentencePiece chooses them)."""
    index = {p: i for i, (p, k) in enumerate(zip(vocab.pieces, vocab.kinds)) if k == NORMAL}
    ranked = []
    for piece, i in index.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in index and right in index:
                ranked.append((-vocab.scores[i], i, index[left], left, right))
    ranked.sort()
    return [(left, right) for *_, left, right in ranked]
