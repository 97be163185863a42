"""`llmcli export --format gguf`: one file that llama.cpp loads, written with the gguf
package's GGUFWriter.

The architecture follows the model's variants (gguf_tensors.architecture_of): "llama" for
llmcli's own models and the Llama family, "qwen2" for q/k/v biases, "gpt2" for GPT-2's
LayerNorm, learned positions and GELU. Tensors get llama.cpp's names from gguf_tensors'
table, the one the import reads by; a "llama" file's q and k rows are permuted into
llama.cpp's interleaved rotary order, which importers undo exactly.

Norms, biases and GPT-2's position table stay F32 (as llama.cpp's converter keeps them);
the other tensors are F32, F16, BF16 or Q8_0 (a tensor whose rows are not a multiple of
Q8_0's 32-value blocks falls back to F16, as the converter does). The tokenizer is
llama.cpp's "llama" (SentencePiece) vocabulary for llmcli's own models, its "gpt2"
(byte-level BPE) one for imported models (export_gguf_tokenizer.py).
"""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError
from llmcli.pretrained.exporting import DTYPES, check_dtype, check_tokenizer, float_state, write_atomically
from llmcli.pretrained.gguf_tensors import (LAYOUTS, architecture_of, entries, interleave_rotary, llmcli_shapes,
                                            part_rows, rotary_heads)

KEEP_F32 = ("position_embd.weight",)  # besides norms and 1-D tensors


def file_type(dtype: str):
    from gguf import LlamaFileType

    return {"f32": LlamaFileType.ALL_F32, "f16": LlamaFileType.MOSTLY_F16,
            "bf16": LlamaFileType.MOSTLY_BF16, "q8_0": LlamaFileType.MOSTLY_Q8_0}[dtype]


def encoded(array, dtype: str, keep_f32: bool):
    """(data, raw ggml type or None) for a float32 numpy array in the export's dtype."""
    import numpy as np
    from gguf import GGMLQuantizationType, quants

    if keep_f32 or array.ndim == 1 or dtype == "f32":
        return array.astype(np.float32), None
    if dtype == "q8_0" and array.shape[-1] % 32 == 0:
        return quants.quantize(array, GGMLQuantizationType.Q8_0), GGMLQuantizationType.Q8_0
    if dtype == "bf16":
        return quants.quantize(array, GGMLQuantizationType.BF16), GGMLQuantizationType.BF16
    return array.astype(np.float16), None


def gguf_tensors(architecture: str, config, state: dict):
    """(GGUF name, float32 numpy array) for every tensor the file holds, in file order."""
    expected = llmcli_shapes(config)
    missing = sorted(set(expected) - set(state))
    if missing:
        raise UserError(f"the model has no {missing[0]} tensor: its weights do not match its config")
    layout = LAYOUTS[architecture]
    for entry in entries(architecture, config, expected):
        tensor = state[entry.llmcli]
        if entry.part is not None:
            start, end = part_rows(config, entry.part)
            tensor = tensor[start:end]
        array = tensor.numpy()
        if entry.rotary and layout.permuted:
            array = interleave_rotary(array, rotary_heads(config, entry.rotary))
        yield entry.gguf, array, entry.is_norm
    if layout.output_copy and config.tied_output:
        yield "output.weight", state["embed.weight"].numpy(), False


def add_tensors(writer, architecture: str, config, state: dict, dtype: str) -> None:
    for name, array, is_norm in gguf_tensors(architecture, config, state):
        data, raw = encoded(array, dtype, is_norm or name in KEEP_F32)
        writer.add_tensor(name, data, raw_dtype=raw)


def add_model_metadata(writer, architecture: str, config, name: str, dtype: str, license: str | None) -> None:
    from gguf import GGML_QUANT_VERSION

    writer.add_name(name)
    if license:
        writer.add_license(license)
    writer.add_context_length(config.context)
    writer.add_embedding_length(config.n_embd)
    writer.add_block_count(config.n_layer)
    writer.add_feed_forward_length(config.ffn_hidden)
    writer.add_head_count(config.n_head)
    if architecture == "gpt2":
        writer.add_layer_norm_eps(config.norm_eps)
    else:
        writer.add_head_count_kv(config.n_kv_head or config.n_head)
        writer.add_layer_norm_rms_eps(config.norm_eps)
        writer.add_rope_freq_base(config.rope_theta)
        writer.add_rope_dimension_count(config.head_dim)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(file_type(dtype))
    writer.add_quantization_version(GGML_QUANT_VERSION)


def write_gguf(path: Path, loaded, dtype: str, vocab) -> None:
    from gguf import GGUFWriter

    from llmcli.pretrained.export_gguf_tokenizer import add_tokenizer

    config = loaded.model.config
    architecture = architecture_of(config)
    writer = GGUFWriter(path, architecture)
    try:
        add_model_metadata(writer, architecture, config, loaded.config.name, dtype, loaded.config.origin.license)
        add_tokenizer(writer, vocab)
        add_tensors(writer, architecture, config, float_state(loaded.model), dtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()


def export_gguf(loaded, out: Path, dtype: str = "f32", force: bool = False) -> str | None:
    """Write the loaded model (llmcli.model.loading.LoadedModel) as one GGUF file. Returns
    the pre-tokenizer name the export inferred (None for a SentencePiece tokenizer)."""
    from llmcli.pretrained.export_gguf_tokenizer import gguf_vocab

    check_dtype(dtype, DTYPES, "gguf")
    check_tokenizer(loaded, "gguf")
    architecture_of(loaded.model.config)
    vocab = gguf_vocab(loaded)  # before anything is written: a refusal costs nothing
    write_atomically(out, force, False, lambda tmp: write_gguf(tmp, loaded, dtype, vocab))
    return getattr(vocab, "pre", None)
