"""`llmcli export --format gguf`: one file that llama.cpp loads (architecture "llama"),
written with the gguf package's GGUFWriter.

Tensors get llama.cpp's names (export_families.py). llmcli, like Hugging Face, rotates
each head's two halves against each other ("rotate half"); llama.cpp rotates neighbouring
pairs, so the rows of attn_q and attn_k are permuted into that interleaved order, head by
head (by the key-value head count for attn_k). Importers undo exactly this permutation.

Norms stay F32; the other tensors are F32, F16, BF16 or Q8_0 (a tensor whose rows are not
a multiple of Q8_0's 32-value blocks falls back to F16, as llama.cpp's converter does).
The tokenizer is stored as llama.cpp's "llama" (SentencePiece) vocabulary.
"""

from __future__ import annotations

from pathlib import Path

from llmcli.pretrained.export_families import check_exportable, exported_tensors, n_kv_head
from llmcli.pretrained.export_vocab import BYTE, CONTROL, NORMAL, UNKNOWN, USER_DEFINED, Vocab, vocab_of
from llmcli.pretrained.exporting import DTYPES, check_dtype, check_sentencepiece, float_state, write_atomically

ARCH = "llama"


def interleave_rotary(weight, heads: int):
    """Rows of a rotate-half projection (heads * head_dim, n_embd) in llama.cpp's
    interleaved order: within each head, row i of the first half and row i of the second
    half become neighbours (0, d/2, 1, d/2 + 1, ...)."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def rotate_half_rows(weight, heads: int):
    """The inverse of interleave_rotary (what an importer applies)."""
    rows = weight.shape[0]
    return weight.reshape(heads, rows // heads // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def file_type(dtype: str):
    from gguf import LlamaFileType

    return {"f32": LlamaFileType.ALL_F32, "f16": LlamaFileType.MOSTLY_F16,
            "bf16": LlamaFileType.MOSTLY_BF16, "q8_0": LlamaFileType.MOSTLY_Q8_0}[dtype]


def encoded(array, dtype: str, is_norm: bool):
    """(data, raw ggml type or None) for a float32 numpy array in the export's dtype."""
    import numpy as np
    from gguf import GGMLQuantizationType, quants

    if is_norm or array.ndim == 1 or dtype == "f32":
        return array.astype(np.float32), None
    if dtype == "q8_0" and array.shape[-1] % 32 == 0:
        return quants.quantize(array, GGMLQuantizationType.Q8_0), GGMLQuantizationType.Q8_0
    if dtype == "bf16":
        return quants.quantize(array, GGMLQuantizationType.BF16), GGMLQuantizationType.BF16
    return array.astype(np.float16), None


def add_tensors(writer, config, state: dict, dtype: str) -> None:
    heads = {"q": config.n_head, "k": n_kv_head(config)}
    for entry, tensor in exported_tensors(config, state):
        array = tensor.numpy()
        if entry.rotary:
            array = interleave_rotary(array, heads[entry.rotary])
        data, raw = encoded(array, dtype, entry.is_norm)
        writer.add_tensor(entry.gguf, data, raw_dtype=raw)


def add_model_metadata(writer, config, name: str, dtype: str, license: str | None) -> None:
    from gguf import GGML_QUANT_VERSION

    writer.add_name(name)
    if license:
        writer.add_license(license)
    writer.add_context_length(config.context)
    writer.add_embedding_length(config.n_embd)
    writer.add_block_count(config.n_layer)
    writer.add_feed_forward_length(config.ffn_hidden)
    writer.add_head_count(config.n_head)
    writer.add_head_count_kv(n_kv_head(config))
    writer.add_layer_norm_rms_eps(config.norm_eps)
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_rope_dimension_count(config.head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(file_type(dtype))
    writer.add_quantization_version(GGML_QUANT_VERSION)


def add_tokenizer(writer, vocab: Vocab) -> None:
    from gguf import TokenType

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


def write_gguf(path: Path, loaded, dtype: str) -> None:
    from gguf import GGUFWriter

    config = loaded.model.config
    writer = GGUFWriter(path, ARCH)
    try:
        add_model_metadata(writer, config, loaded.config.name, dtype, loaded.config.origin.license)
        add_tokenizer(writer, vocab_of(loaded.tokenizer))
        add_tensors(writer, config, float_state(loaded.model), dtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()


def export_gguf(loaded, out: Path, dtype: str = "f32", force: bool = False) -> None:
    """Write the loaded model (llmcli.model.loading.LoadedModel) as one GGUF file."""
    check_dtype(dtype, DTYPES, "gguf")
    check_sentencepiece(loaded)
    check_exportable(loaded.model.config)
    write_atomically(out, force, False, lambda tmp: write_gguf(tmp, loaded, dtype))
