"""An imported model's byte-level BPE tokenizer (its tokenizer.json) described as llama.cpp's
"gpt2" vocabulary: every token in id order as the byte-level string the merges use, its
type, the merges, and the name of the pre-tokenizer (`tokenizer.ggml.pre`).

A GGUF holds only that name, not the splitting rules, so the name must be one whose rules
are the tokenizer's. The import does not record the name it read, and a folder from
transformers never had one; so the name is found by splitting probe texts with the
tokenizer's own normalizer and pre-tokenizer and with each rule llmcli's GGUF import knows
(model/gguf_tokenizer.py's PRE_TOKENIZERS, each checked there against the model's own
tokenizer), the family's usual one tried first. A tokenizer that splits like none of them
is refused: a wrong name gives llama.cpp other ids without any error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from llmcli.errors import UserError

NORMAL, CONTROL, USER_DEFINED, UNUSED = "normal", "control", "user_defined", "unused"
# the pre-tokenizer each family's models usually have (SmolLM2 is the Llama-family one llmcli pulls)
FAMILY_PRE = {"llama": "smollm", "qwen2": "qwen2", "gpt2": "gpt-2"}
# llmcli's import knows some rules under another name than llama.cpp's converter writes
LLAMA_CPP_NAME = {"gpt2": "gpt-2"}
# texts on which the known rules differ: digits (alone or not), contractions, letters after
# a symbol, newlines after symbols, whitespace runs, Unicode normal forms, CJK, emoji
PROBES = (
    "The quick brown fox, it's 3 o'clock; ISN'T it? (yes!)",
    "12345 and 3.14159, x1y22z333 1000000 ½ ²",
    "a  b   c\t\td    \t e      f\u3000g\u00a0h ",
    "line one\nline two\n\n\nafter\r\n  indented\n\t\ttabbed\n\n",
    "def f(x):\n    return x ** 2  # sq\n\n$$$\n\n!!!\r\n...\n",
    "e\u0301 \u00e9 \ufb01 \uff21 \u2126 Ω",
    "我们今天去公园散步。日本語のテキスト、한국어 문장",
    "👍🚀 👩‍💻 🇫🇷 ❤️ ok😀",
    "'s 'S 'll 'LL 'd -'ve x'm",
)


@dataclass
class ByteLevelVocab:
    tokens: list[str]
    kinds: list[str]  # one of the kinds above, for each token
    merges: list[str]  # "left right"
    pre: str
    roles: dict  # bos, eos and, when the tokenizer names them, unk and pad: id
    add_bos: bool
    chat_template: str | None


def byte_level_vocab(tokenizer, rows: int, family: str) -> ByteLevelVocab:
    """The vocabulary of an HFTokenizer, padded with placeholder tokens to the embedding's
    `rows` (as llama.cpp's converter does: `[PAD<id>]`, unused)."""
    both = json.loads(tokenizer.to_bytes())
    spec = json.loads(both["tokenizer"])
    check_byte_level(spec)
    tokens, kinds = token_list(spec, rows)
    merges = merge_strings(spec["model"].get("merges") or [])
    roles = {"bos": tokenizer.bos_id, "eos": tokenizer.eos_id}
    if tokenizer.unk_id >= 0:
        roles["unk"] = tokenizer.unk_id
    if tokenizer.config.get("pad_token") is not None:
        roles["pad"] = tokenizer.pad_id
    return ByteLevelVocab(tokens, kinds, merges, pre_tokenizer_name(both["tokenizer"], family), roles,
                          adds_bos(spec, tokenizer), tokenizer.chat_template)


def check_byte_level(spec: dict) -> None:
    """A BPE model over GPT-2's byte alphabet, with nothing llama.cpp's BPE lacks."""
    model = spec.get("model") or {}
    pipeline = json.dumps([spec.get(part) for part in ("normalizer", "pre_tokenizer", "decoder")])
    if model.get("type") != "BPE" or '"ByteLevel"' not in pipeline:
        sentencepiece = model.get("byte_fallback") or '"Metaspace"' in pipeline or '"Replace"' in pipeline
        kind = "SentencePiece-style" if sentencepiece else repr(model.get("type"))
        raise UserError(f"the model's tokenizer is a {kind} tokenizer, not a byte-level BPE one: GGUF export writes "
                        "imported models' byte-level BPE tokenizers (GPT-2, SmolLM2, Qwen2) only; --format hf "
                        "exports this model")
    for option in ("continuing_subword_prefix", "end_of_word_suffix", "byte_fallback", "ignore_merges"):
        if model.get(option):
            raise UserError(f"the model's tokenizer sets BPE's {option}, which llama.cpp's BPE does not have: "
                            "--format hf exports this model")


def token_list(spec: dict, rows: int) -> tuple[list[str], list[str]]:
    """Every token in id order with its kind; ids the vocabulary skips, and the embedding's
    rows past it, hold placeholders."""
    by_id = {int(i): (token, NORMAL) for token, i in spec["model"]["vocab"].items()}
    for added in spec.get("added_tokens") or []:
        by_id[int(added["id"])] = (added["content"], CONTROL if added.get("special") else USER_DEFINED)
    if by_id and max(by_id) >= rows:
        raise UserError(f"the tokenizer has token id {max(by_id)} but the model's embedding only {rows} rows: "
                        "its files do not belong together")
    tokens, kinds = [], []
    for i in range(rows):
        token, kind = by_id.get(i, (f"[PAD{i}]", UNUSED))
        tokens.append(token)
        kinds.append(kind)
    return tokens, kinds


def merge_strings(merges: list) -> list[str]:
    """GGUF's "left right" strings, from tokenizer.json's pairs (or strings, in older files);
    a byte-level token never holds a space (GPT-2's alphabet shows it as Ġ), or the string
    could not be split back."""
    pairs = [m.split(" ") if isinstance(m, str) else list(m) for m in merges]
    if any(len(pair) != 2 or " " in "".join(pair) for pair in pairs):
        raise UserError("the model's tokenizer has a merge of tokens holding a space, which GGUF's "
                        "'left right' merges cannot hold: --format hf exports this model")
    return [" ".join(pair) for pair in pairs]


def adds_bos(spec: dict, tokenizer) -> bool:
    """Whether the model's own tokenizer puts bos before a text: tokenizer_config.json's
    add_bos_token, else a post-processor whose template starts with the bos token."""
    said = tokenizer.config.get("add_bos_token")
    if isinstance(said, bool):
        return said
    single = (spec.get("post_processor") or {}).get("single") or []
    first = single[0].get("SpecialToken", {}).get("id") if single and isinstance(single[0], dict) else None
    return first is not None and first == tokenizer.id_to_piece(tokenizer.bos_id)


def pre_tokenizer_name(tokenizer_json: str, family: str) -> str:
    """The llama.cpp name of the known rule that splits every probe as the tokenizer does."""
    from tokenizers import Tokenizer, models

    from llmcli.model.gguf_tokenizer import PRE_TOKENIZERS

    own = splits(Tokenizer.from_str(tokenizer_json))
    names = sorted(PRE_TOKENIZERS, key=lambda n: LLAMA_CPP_NAME.get(n, n) != FAMILY_PRE.get(family))
    for name in names:
        rule = Tokenizer(models.BPE())  # what llmcli's import would rebuild for this name
        PRE_TOKENIZERS[name](rule)
        if splits(rule) == own:
            return LLAMA_CPP_NAME.get(name, name)
    known = ", ".join(sorted({LLAMA_CPP_NAME.get(n, n) for n in PRE_TOKENIZERS}))
    raise UserError("the model's tokenizer splits text unlike every GGUF pre-tokenizer llmcli knows "
                    f"({known}): llama.cpp would split it otherwise and give other token ids; "
                    "--format hf exports this model")


def splits(tokenizer) -> list[list[str]]:
    """The pieces the tokenizer's normalizer and pre-tokenizer make of each probe."""
    out = []
    for text in PROBES:
        if tokenizer.normalizer is not None:
            text = tokenizer.normalizer.normalize_str(text)
        pieces = tokenizer.pre_tokenizer.pre_tokenize_str(text) if tokenizer.pre_tokenizer else [(text, None)]
        out.append([piece for piece, _ in pieces])
    return out
