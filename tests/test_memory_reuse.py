"""The trainer keeps freed memory for reuse on a CPU (training/memory_reuse.py): a step's
large buffers, allocated again the next step, fault no pages in."""

import resource
import sys

import pytest
import torch

from llmcli.training.memory_reuse import keep_freed_memory

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


def faults_of_a_step() -> int:
    """Minor page faults while two large buffers (64 and 32 MB) are made, filled and freed."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    first, second = torch.empty(16 * 2**20).fill_(1.0), torch.empty(8 * 2**20).fill_(2.0)
    del first, second
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@glibc
def test_a_steps_large_buffers_are_reused_without_page_faults():
    assert keep_freed_memory() and keep_freed_memory()  # once is enough; again is harmless
    faults = [faults_of_a_step() for _ in range(4)]
    # mmap'd afresh each time, their 24,576 pages would fault in every step
    assert faults[-1] < 1000, faults
