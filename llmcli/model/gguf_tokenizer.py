"""A GGUF file's tokenizer, rebuilt as a Hugging Face `tokenizers` pipeline.

A GGUF carries no tokenizer.json: it has the vocabulary (`tokenizer.ggml.tokens`), the BPE
merges, each token's type, the special token ids, the chat template and only the *name*
of the pre-tokenizer (`tokenizer.ggml.pre`), which splits text into words before the
merges apply. The name has to be turned back into the splitting rules the model was
trained with; a wrong guess gives other ids without any error (llama.cpp#7476), so a name
this module does not know is refused, with the names it knows.

Supported:
    tokenizer.ggml.model  "gpt2": byte-level BPE (GPT-2, SmolLM, Qwen2), with
                          tokenizer.ggml.pre one of PRE_TOKENIZERS
                          "llama": SentencePiece BPE (Llama 2, TinyLlama), merges implied
                          by tokenizer.ggml.scores; no pre-tokenizer. As SentencePiece
                          itself, it reads a U+2581 in a text as a space

GGUF token types: CONTROL (3) and UNKNOWN (2) tokens become special added tokens (never
produced from text, decoded to ""), USER_DEFINED (4) ones ordinary added tokens (matched
in text before the merges, decoded as their text).
"""

from __future__ import annotations

from llmcli.model.hf_tokenizer import HFTokenizer
from llmcli.model.tokenizer import TokenizerError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
SPACE = "\u2581"  # how SentencePiece shows a space
ROLE_KEYS = {"bos": "tokenizer.ggml.bos_token_id", "eos": "tokenizer.ggml.eos_token_id",
             "pad": "tokenizer.ggml.padding_token_id", "unk": "tokenizer.ggml.unknown_token_id"}


def _gpt2_split(tokenizer) -> None:
    """GPT-2's split: contractions, letters, digits, other symbols, each with one leading
    space, and runs of whitespace (ByteLevel's own regex)."""
    from tokenizers import pre_tokenizers

    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False,
                                                       use_regex=True)


def _smollm_split(tokenizer) -> None:
    """SmolLM's: every number character on its own first, then GPT-2's split, as SmolLM2's
    own tokenizer.json and llama.cpp split. (transformers' GGUF loader keeps GPT-2's split
    for "smollm"; the two differ where a space merges with a number character, " ½".)"""
    from tokenizers import pre_tokenizers

    _gpt2_split(tokenizer)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), tokenizer.pre_tokenizer])


# contractions in any case; a run of letters after at most one other character (not a
# newline); each digit alone; symbols with the newlines after them; newlines; whitespace
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _qwen2_split(tokenizer) -> None:
    """Qwen2's: text in NFC, then QWEN2_SPLIT, then bytes."""
    from tokenizers import Regex, normalizers, pre_tokenizers

    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])


# tokenizer.ggml.pre -> what sets the normalizer and pre-tokenizer it names; only names
# whose rules were checked against the model's own tokenizer (tests/test_hf_tokenizer.py)
PRE_TOKENIZERS = {
    "gpt2": _gpt2_split,
    "gpt-2": _gpt2_split,  # llama.cpp's own name for it: what its converter (and llmcli's export) writes
    "smollm": _smollm_split,
    "qwen2": _qwen2_split,
}


def tokenizer_from_gguf(metadata: dict) -> HFTokenizer:
    """The tokenizer a GGUF's metadata (a plain {key: value} dict) describes."""
    model = metadata.get("tokenizer.ggml.model")
    if model not in ("gpt2", "llama"):
        raise TokenizerError(
            f"the GGUF's tokenizer model {model!r} is not supported: llmcli rebuilds 'gpt2' "
            "(byte-level BPE) and 'llama' (SentencePiece BPE) tokenizers")
    tokens = [str(t) for t in _required(metadata, "tokenizer.ggml.tokens")]
    types = list(metadata.get("tokenizer.ggml.token_type") or [NORMAL] * len(tokens))
    if len(types) != len(tokens):
        raise TokenizerError(f"the GGUF has {len(tokens)} tokens but {len(types)} token types")
    if model == "gpt2":
        tokenizer = _byte_level_bpe(tokens, [str(m) for m in _required(metadata, "tokenizer.ggml.merges")])
        _pre_tokenizer(metadata.get("tokenizer.ggml.pre"))(tokenizer)
    else:
        tokenizer = _sentencepiece_bpe(metadata, tokens, types)
    _add_tokens(tokenizer, tokens, types)
    return HFTokenizer(tokenizer, _config(metadata, tokens))


def _pre_tokenizer(name):
    if name not in PRE_TOKENIZERS:
        known = ", ".join(sorted(PRE_TOKENIZERS))
        raise TokenizerError(
            f"the GGUF's pre-tokenizer {name!r} is not one llmcli knows (it knows {known}): "
            "guessing would give other token ids than the model was trained with")
    return PRE_TOKENIZERS[name]


def _required(metadata: dict, key: str) -> list:
    value = metadata.get(key)
    if not value:
        raise TokenizerError(f"the GGUF has no {key}: its tokenizer can't be rebuilt")
    return list(value)


def _vocab(tokens: list[str]) -> dict[str, int]:
    vocab = {token: i for i, token in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise TokenizerError("the GGUF's vocabulary has the same token twice: its ids are ambiguous")
    return vocab


def _byte_level_bpe(tokens: list[str], merges: list[str]):
    from tokenizers import Tokenizer, decoders, models

    vocab = _vocab(tokens)
    pairs = []
    for merge in merges:
        left, space, right = merge.partition(" ")
        if not space:
            raise TokenizerError(f"the GGUF's merge {merge!r} is not two tokens apart by a space")
        pairs.append((left, right))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def _sentencepiece_bpe(metadata: dict, tokens: list[str], types: list[int]):
    """A SentencePiece BPE model (Llama 2, TinyLlama): spaces shown as U+2581, a space put
    before the text (unless tokenizer.ggml.add_space_prefix is false), characters without
    a piece as <0xNN> byte pieces. Such models have no pre-tokenizer: the key is ignored."""
    from tokenizers import Tokenizer, decoders, models, normalizers

    scores = _required(metadata, "tokenizer.ggml.scores")
    unk = metadata.get(ROLE_KEYS["unk"])
    unk_token = tokens[int(unk)] if unk is not None and 0 <= int(unk) < len(tokens) else None
    tokenizer = Tokenizer(models.BPE(vocab=_vocab(tokens), merges=_merges_from_scores(tokens, scores, types),
                                     unk_token=unk_token, fuse_unk=True, byte_fallback=True))
    prefix = bool(metadata.get("tokenizer.ggml.add_space_prefix", True))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Prepend(SPACE)] * prefix + [normalizers.Replace(" ", SPACE)])
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse()]
        + [decoders.Strip(" ", 1, 0)] * prefix)
    return tokenizer


def _merges_from_scores(tokens: list[str], scores: list[float], types: list[int]) -> list[tuple[str, str]]:
    """The merges SentencePiece's scores imply: any two pieces that make a third, the
    best-scored result first (SentencePiece merges the pair whose result scores highest)."""
    ids = {t: i for i, (t, kind) in enumerate(zip(tokens, types)) if kind == NORMAL}
    found = []
    for piece, i in ids.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in ids and right in ids:
                found.append((-float(scores[i]), i, ids[left], left, right))
    found.sort()
    return [(left, right) for *_, left, right in found]


def _add_tokens(tokenizer, tokens: list[str], types: list[int]) -> None:
    """Control and unknown tokens as special added tokens, user-defined ones as plain
    added tokens, all keeping their vocabulary ids."""
    from tokenizers import AddedToken

    special = [AddedToken(t, special=True, normalized=False)
               for t, kind in zip(tokens, types) if kind in (CONTROL, UNKNOWN)]
    plain = [AddedToken(t, special=False, normalized=False)
             for t, kind in zip(tokens, types) if kind == USER_DEFINED]
    tokenizer.add_special_tokens(special)
    tokenizer.add_tokens(plain)


def _config(metadata: dict, tokens: list[str]) -> dict:
    """tokenizer_config.json's contents: the role tokens and the chat template."""
    config = {"tokenizer_class": "PreTrainedTokenizerFast"}
    for role, key in ROLE_KEYS.items():
        i = metadata.get(key)
        if i is not None and 0 <= int(i) < len(tokens):
            config[f"{role}_token"] = tokens[int(i)]
    template = metadata.get("tokenizer.chat_template")
    if template:
        config["chat_template"] = str(template)
    return config
