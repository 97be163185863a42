"""Generation speed of the `small` preset at batch 1: 256 new tokens after a short prompt.

Target: at least 500 tokens/s, sampling or greedy. Measured for the default path (int8
weights on a CPU, see llmcli/model/quantize.py), for int4 weights (--precision int4), for
plain float32 weights, and compiled (`generate --compile`). With --model NAME, it also
reports what int8 and int4 cost in validation bits per byte.
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import torch

from common import report
from llmcli.model.config import preset_config
from llmcli.model.generate import GenerationConfig, generate_ids
from llmcli.model.quantize import quantize_for_generation
from llmcli.model.transformer import Transformer


def tokens_per_second(model, config: GenerationConfig, prompt: list[int], repeats: int = 3) -> float:
    list(generate_ids(model, prompt, GenerationConfig(max_new_tokens=8, temperature=0)))  # warm up
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        count = sum(1 for _ in generate_ids(model, prompt, config))
        best = max(best, count / (time.perf_counter() - start))
    return best


def bpb_delta(name: str) -> tuple[float, float, float]:
    """Validation bits per byte of a trained model: float32, int8 and int4."""
    from llmcli.model.loading import load_model
    from llmcli.paths import resolve_model
    from llmcli.training.corpus_workload import CorpusWorkload
    from llmcli.training.distributed import current

    loaded = load_model(resolve_model(name))
    data = loaded.config.data
    workload = CorpusWorkload(Path(data.path), val_fraction=data.val_fraction)
    encoded = workload.encode(loaded.tokenizer, loaded.model.config.context, lambda e: None)
    evaluator = workload.feed(encoded, loaded.tokenizer, loaded.config.train, current()).evaluator
    with torch.inference_mode():
        fp32 = evaluator(loaded.model, final=True)["val_bpb"]
        figures = [fp32]
        for bits in (8, 4):
            model = copy.deepcopy(loaded.model)
            quantize_for_generation(model, bits=bits)
            figures.append(evaluator(model, final=True)["val_bpb"])
    return tuple(figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--model", help="a trained model, to report int8's cost in bits per byte")
    parser.add_argument("--no-compile", action="store_true", help="leave out `generate --compile`'s path")
    args = parser.parse_args()

    torch.manual_seed(0)
    fp32 = Transformer(preset_config("small", vocab_size=args.vocab)).eval()
    int8, int4 = copy.deepcopy(fp32), copy.deepcopy(fp32)
    quantize_for_generation(int8)
    quantize_for_generation(int4, bits=4)
    prompt = list(range(100, 110))
    rows = []
    for label, config in (
        ("greedy", GenerationConfig(max_new_tokens=args.new_tokens, temperature=0)),
        ("sampling (T=0.8, top-k 50)", GenerationConfig(max_new_tokens=args.new_tokens, temperature=0.8, top_k=50, seed=0)),
        ("sampling (T=0.8, top-p 0.9)", GenerationConfig(max_new_tokens=args.new_tokens, temperature=0.8, top_p=0.9, seed=0)),
    ):
        rows.append((f"int8 (default), {label}", f"{tokens_per_second(int8, config, prompt):,.0f} tokens/s"))
        rows.append((f"int4, {label}", f"{tokens_per_second(int4, config, prompt):,.0f} tokens/s"))
        rows.append((f"float32, {label}", f"{tokens_per_second(fp32, config, prompt):,.0f} tokens/s"))
    greedy = GenerationConfig(max_new_tokens=args.new_tokens, temperature=0)
    # without llmcli's whole-step kernel (native_decode.py), as on a CPU without AVX-512 VNNI
    for label, model in (("int8", int8), ("int4", int4)):
        stepwise = copy.deepcopy(model)
        stepwise.native_step = None
        rows.append((f"{label}, PyTorch's step, greedy", f"{tokens_per_second(stepwise, greedy, prompt):,.0f} tokens/s"))
    if not args.no_compile:  # generate --compile: greedy, after the compile its warm-up pays
        from llmcli.model.compiled_decode import compile_decoding

        for label, model in (("int8", int8), ("int4", int4)):
            compiled = copy.deepcopy(model)
            compiled.native_step = None  # else --compile has nothing to do
            compile_decoding(compiled)
            start = time.perf_counter()
            list(generate_ids(compiled, prompt, GenerationConfig(max_new_tokens=8, temperature=0)))
            seconds = time.perf_counter() - start
            rows.append((f"{label}, PyTorch's step --compile, greedy", f"{tokens_per_second(compiled, greedy, prompt):,.0f} tokens/s "
                                                       f"(compile at the first tokens: {seconds:.0f} s)"))
    if args.model:
        a, b, c = bpb_delta(args.model)
        rows.append((f"{args.model}: val bits per byte", f"float32 {a:.4f}, int8 {b:.4f} ({b - a:+.4f}), "
                                                         f"int4 {c:.4f} ({c - a:+.4f})"))
    report(f"Generation, preset small, vocab {args.vocab}, batch 1, {args.new_tokens} new tokens, "
           f"{torch.get_num_threads()} threads (target: >= 500 tokens/s)", rows)


if __name__ == "__main__":
    main()
