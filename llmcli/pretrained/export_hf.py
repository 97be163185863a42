"""`llmcli export --format hf`: a folder that transformers loads with
`AutoModelForCausalLM.from_pretrained` and `AutoTokenizer.from_pretrained`.

    config.json              the family's config (LlamaForCausalLM for llmcli's own models and
                             Llama ones, Qwen2ForCausalLM, GPT2LMHeadModel; hf_weights.py)
    generation_config.json   bos, eos and pad ids
    model.safetensors        the weights under Hugging Face's names (hf_weights.py)
    an imported model's own tokenizer.json and tokenizer_config.json, or for llmcli's:
    tokenizer.model          the SentencePiece model itself
    tokenizer.json           the same tokenizer for the `tokenizers` library: BPE with byte
                             fallback, spaces as U+2581, no prefix space, merges ranked
                             by the score of the piece they make (export_vocab.py)
    tokenizer_config.json, special_tokens_map.json

Token ids equal llmcli's on any text without a literal U+2581 (see docs/pretrained.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from llmcli.errors import UserError
from llmcli.pretrained.export_vocab import CONTROL, UNKNOWN, USER_DEFINED, Vocab, merges, vocab_of
from llmcli.pretrained.exporting import HF_DTYPES, check_dtype, check_tokenizer, float_state, write_atomically

META = "\u2581"


def hf_config(config, ids: dict, dtype: str) -> dict:
    """config.json for transformers: the family's architecture (hf_weights.config_to_hf)
    with the tokenizer's role ids and the stored dtype."""
    from llmcli.pretrained.hf_weights import config_to_hf

    try:
        out = config_to_hf(config)
    except ValueError as exc:
        raise UserError(f"this model cannot be exported to a Hugging Face folder: {exc}") from None
    return {**out, **ids, "dtype": HF_DTYPES[dtype], "use_cache": True}


def role_ids(tokenizer) -> dict:
    def known(i):
        return i if i is not None and i >= 0 else None

    return {"bos_token_id": known(tokenizer.bos_id), "eos_token_id": known(tokenizer.eos_id),
            "pad_token_id": known(tokenizer.pad_id)}


def added_tokens(vocab: Vocab) -> list[dict]:
    """The control, unknown and user-defined pieces, matched in the text before anything
    else (as SentencePiece does); only the user-defined "\\n" is not special."""
    kinds = (CONTROL, UNKNOWN, USER_DEFINED)
    return [{"id": i, "content": vocab.pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": kind != USER_DEFINED}
            for i, kind in enumerate(vocab.kinds) if kind in kinds]


def tokenizer_json(vocab: Vocab) -> dict:
    """tokenizer.json: the `tokenizers` library's form of the SentencePiece BPE model."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens(vocab),
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": META, "prepend_scheme": "never", "split": False},
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": META}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
        ]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": vocab.pieces[vocab.unk_id],
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
            "vocab": {piece: i for i, piece in enumerate(vocab.pieces)},
            "merges": [list(pair) for pair in merges(vocab)],
        },
    }


def special_tokens(vocab: Vocab) -> dict:
    names = {"bos_token": vocab.bos_id, "eos_token": vocab.eos_id, "unk_token": vocab.unk_id,
             "pad_token": vocab.pad_id}
    return {name: vocab.pieces[i] for name, i in names.items()}


def tokenizer_config(vocab: Vocab, context: int) -> dict:
    """tokenizer_config.json: a Llama tokenizer that adds no bos or eos (llmcli's models
    see none before ordinary text) and no prefix space."""
    decoder = {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added_tokens(vocab)}
    extra = [vocab.pieces[i] for i in vocab.ids_of(CONTROL) if i not in (vocab.bos_id, vocab.eos_id, vocab.pad_id)]
    return {
        "tokenizer_class": "LlamaTokenizer",
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "legacy": False,
        "clean_up_tokenization_spaces": False,
        "spaces_between_special_tokens": False,
        # as in SentencePiece, the text "<sep>" is five characters, not the control token
        "split_special_tokens": True,
        "model_max_length": context,
        **special_tokens(vocab),
        "additional_special_tokens": extra,
        "added_tokens_decoder": decoder,
    }


def hf_state_dict(config, state: dict, dtype: str) -> dict:
    import torch

    from llmcli.pretrained.hf_weights import weights_to_hf

    target = getattr(torch, HF_DTYPES[dtype])
    return {name: tensor.to(target).contiguous() for name, tensor in weights_to_hf(config, state).items()}


def write_hf_folder(folder: Path, loaded, dtype: str) -> None:
    from llmcli.files import atomic_write_json
    from llmcli.training.rundir import save_weights

    config = loaded.model.config
    folder.mkdir()
    save_weights(folder / "model.safetensors", hf_state_dict(config, float_state(loaded.model), dtype))
    ids = role_ids(loaded.tokenizer)
    atomic_write_json(folder / "config.json", hf_config(config, ids, dtype))
    atomic_write_json(folder / "generation_config.json", ids)
    if loaded.config.tokenizer.type == "hf":  # an imported model's own tokenizer files, as they are
        loaded.tokenizer.save(folder)
    else:
        write_sentencepiece_files(folder, loaded.tokenizer, config.context)


def write_sentencepiece_files(folder: Path, tokenizer, context: int) -> None:
    from llmcli.files import atomic_write_bytes, atomic_write_json

    vocab = vocab_of(tokenizer)
    atomic_write_bytes(folder / "tokenizer.model", tokenizer.to_bytes())
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(vocab), ensure_ascii=False), encoding="utf-8")
    atomic_write_json(folder / "tokenizer_config.json", tokenizer_config(vocab, context))
    atomic_write_json(folder / "special_tokens_map.json", special_tokens(vocab))


def export_hf(loaded, out: Path, dtype: str = "f32", force: bool = False) -> None:
    """Write the loaded model (llmcli.model.loading.LoadedModel) as a Hugging Face folder."""
    check_dtype(dtype, tuple(HF_DTYPES), "hf")
    check_tokenizer(loaded, "hf")
    write_atomically(out, force, True, lambda tmp: write_hf_folder(tmp, loaded, dtype))
