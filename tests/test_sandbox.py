"""The sandbox against hostile programs: each is contained, the host is untouched, the
outcome is reported right, none takes more than its time limit plus a second, and no
process is left behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmcli.sandbox import (FAILED, LIMIT, PASSED, TIMEOUT, Limits, network_isolation_available, run_program,
                            run_programs)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox's limits are Linux's")

LIMITS = Limits(timeout_s=2.0, cpu_s=1, memory_mb=256, file_mb=4, processes=32)
AS_ROOT = os.geteuid() == 0


def run(source: str, limits: Limits = LIMITS):
    started = time.monotonic()
    outcome = run_program(source, limits)
    assert time.monotonic() - started < limits.timeout_s + 1.0, outcome
    return outcome


def stray_processes() -> list[str]:
    """Processes of the unprivileged user (root runs), or programs still running from a sandbox."""
    listing = subprocess.run(["ps", "-eo", "user=,args="], capture_output=True, text=True).stdout.splitlines()
    if AS_ROOT:
        return [line for line in listing if line.split()[0] == "nobody"]
    return [line for line in listing if "llmcli-sandbox-" in line]


@pytest.fixture(autouse=True)
def no_strays():
    yield
    time.sleep(0.1)
    assert stray_processes() == []


def test_a_correct_program_passes_and_a_wrong_one_fails():
    assert run("def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n").status == PASSED
    wrong = run("def add(a, b):\n    return a - b\nassert add(2, 3) == 5, 'add is wrong'\n")
    assert wrong.status == FAILED and wrong.error == "AssertionError: add is wrong"


def test_standard_modules_work():
    assert run("import math, re, collections, itertools, heapq, hashlib\nassert math.gcd(12, 18) == 6\n").passed


@pytest.mark.parametrize("early", ["import sys\nsys.exit(0)\n", "import os\nos._exit(0)\n", "raise SystemExit\n",
                                   "exit()\n"])
def test_leaving_before_the_tests_is_a_failure(early):
    outcome = run(early + "assert False, 'the tests ran'\n")
    assert outcome.status == FAILED


def test_patching_the_test_helpers_does_not_pass():
    patched = (
        "import builtins, os\n"
        "builtins.AssertionError = type('Quiet', (Exception,), {})\n"
        "os.write = lambda *args: 0\n"
        "os.close = lambda *args: None\n"
        "def check(candidate):\n    pass\n"
    )
    outcome = run(patched + "def check(candidate):\n    assert candidate(1) == 2\ncheck(lambda x: x)\n")
    assert outcome.status == FAILED


def test_an_infinite_loop_hits_the_cpu_limit():
    outcome = run("while True:\n    pass\n")
    assert outcome.status in (LIMIT, TIMEOUT)


def test_sleeping_forever_times_out():
    assert run("import time\ntime.sleep(60)\n").status == TIMEOUT


def test_a_fork_bomb_is_contained():
    outcome = run("import os\nwhile True:\n    os.fork()\n")
    assert outcome.status in (LIMIT, TIMEOUT, FAILED)
    assert not outcome.passed


def test_a_memory_hog_hits_the_memory_limit():
    outcome = run("x = bytearray(1 << 30)\n")
    assert outcome.status == LIMIT and "memory" in outcome.error


def test_endless_printing_is_contained():
    assert run("while True:\n    print('x' * 1000)\n").status in (LIMIT, TIMEOUT)


def test_a_big_file_hits_the_file_size_limit(tmp_path):
    outcome = run("open('big', 'wb').write(b'x' * (64 << 20))\n")
    assert not outcome.passed and ("File too large" in outcome.error or outcome.status == LIMIT)


def test_files_outside_its_folder_are_not_written(tmp_path):
    target = Path(__file__).resolve().parent / "written-by-a-sandboxed-program.txt"
    if not AS_ROOT:
        pytest.skip("without root the program runs as the same user, who may write here")
    outcome = run(f"open({str(target)!r}, 'w').write('x')\n")
    # refused, or not even there: under /tmp the program sees a private, empty /tmp
    assert outcome.status == FAILED
    assert "Permission denied" in outcome.error or "No such file or directory" in outcome.error
    assert not target.exists()


def test_the_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("LLMCLI_TEST_SECRET", "hunter2")
    assert run("import os\nassert 'LLMCLI_TEST_SECRET' not in os.environ\n").passed


@pytest.mark.skipif(not AS_ROOT, reason="the parent's files are hidden by dropping root")
def test_the_parents_environment_and_home_are_unreadable():
    home = os.path.expanduser("~")
    assert run(f"import os\nos.listdir({home!r})\n").status == FAILED
    assert run(f"open('/proc/{os.getpid()}/environ').read()\n").status == FAILED


def test_stdin_is_empty():
    outcome = run("input()\n")
    assert outcome.status == FAILED and "EOFError" in outcome.error


@pytest.mark.skipif(not network_isolation_available(), reason="no network namespace here (root, Linux, allowed)")
def test_no_network():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        outcome = run(f"import socket\ns = socket.socket()\ns.settimeout(1)\ns.connect(('127.0.0.1', {port}))\n")
        assert outcome.status == FAILED
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


@pytest.mark.skipif(not AS_ROOT, reason="without root the program runs as the same user as its parent")
def test_killing_its_parent_fails():
    outcome = run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n")
    assert outcome.status == FAILED and "Operation not permitted" in outcome.error


def test_many_programs_at_once():
    sources = ["assert 1 + 1 == 2\n", "assert 1 + 1 == 3\n", "while True:\n    pass\n"] * 3
    outcomes = run_programs(sources, LIMITS, workers=3)
    assert [o.status for o in outcomes[:2]] == [PASSED, FAILED]
    assert all(o.status in (LIMIT, TIMEOUT) for o in outcomes[2::3])
