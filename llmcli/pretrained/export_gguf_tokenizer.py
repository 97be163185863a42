"""The tokenizer's part of a GGUF export: llama.cpp's `tokenizer.ggml.*` metadata.

- llmcli's own SentencePiece BPE models (export_vocab.py): model "llama", every piece with
  its score and type, no bos or space put before a prompt (llmcli adds neither).
- imported models' byte-level BPE tokenizers (export_bpe.py): model "gpt2", the tokens in
  id order, their types, the merges and the pre-tokenizer's name; bos and eos always
  (llama.cpp assumes id 11 for a "gpt2" vocabulary that names none), unk and pad when
  the tokenizer names them, add_bos_token as the model's own tokenizer does, and the chat
  template.
"""

from __future__ import annotations

from llmcli.pretrained.export_bpe import ByteLevelVocab, byte_level_vocab
from llmcli.pretrained.export_vocab import Vocab, vocab_of


def gguf_vocab(loaded) -> Vocab | ByteLevelVocab:
    """The loaded model's tokenizer as a GGUF export describes it (UserError if it can't)."""
    if loaded.config.tokenizer.type == "hf":
        config = loaded.model.config
        return byte_level_vocab(loaded.tokenizer, config.vocab_size, config.family)
    return vocab_of(loaded.tokenizer)


def add_tokenizer(writer, vocab: Vocab | ByteLevelVocab) -> None:
    if isinstance(vocab, ByteLevelVocab):
        add_byte_level(writer, vocab)
    else:
        add_sentencepiece(writer, vocab)


def add_sentencepiece(writer, vocab: Vocab) -> None:
    from gguf import TokenType

    from llmcli.pretrained.export_vocab import BYTE, CONTROL, NORMAL, UNKNOWN, USER_DEFINED

    types = {NORMAL: TokenType.NORMAL, UNKNOWN: TokenType.UNKNOWN, CONTROL: TokenType.CONTROL,
             USER_DEFINED: TokenType.USER_DEFINED, BYTE: TokenType.BYTE}
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocab.pieces)
    writer.add_token_scores(vocab.scores)
    writer.add_token_types([types[kind] for kind in vocab.kinds])
    writer.add_bos_token_id(vocab.bos_id)
    writer.add_eos_token_id(vocab.eos_id)
    writer.add_unk_token_id(vocab.unk_id)
    writer.add_pad_token_id(vocab.pad_id)
    # llmcli's models see no bos before ordinary text, and its tokenizer adds no space
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)


def add_byte_level(writer, vocab: ByteLevelVocab) -> None:
    from gguf import TokenType

    from llmcli.pretrained.export_bpe import CONTROL, NORMAL, UNUSED, USER_DEFINED

    types = {NORMAL: TokenType.NORMAL, CONTROL: TokenType.CONTROL, USER_DEFINED: TokenType.USER_DEFINED,
             UNUSED: TokenType.UNUSED}
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types([types[kind] for kind in vocab.kinds])
    writer.add_token_merges(vocab.merges)
    roles = {"bos": writer.add_bos_token_id, "eos": writer.add_eos_token_id,
             "unk": writer.add_unk_token_id, "pad": writer.add_pad_token_id}
    for role, token_id in vocab.roles.items():
        roles[role](token_id)
    writer.add_add_bos_token(vocab.add_bos)
    writer.add_add_eos_token(False)
    if vocab.chat_template:
        writer.add_chat_template(vocab.chat_template)
