"""Running untrusted (model-written) Python programs under limits, for any plugin.

Each program runs in a child process of its own:

- with a wall-clock timeout, after which its whole process group is killed;
- with limits on CPU time, memory, file size and the number of processes;
- in a fresh temporary working directory, with a scrubbed environment, no stdin, and
  Python's isolated mode (-I: no user site, no PYTHON* variables, no current folder on
  the path);
- as an unprivileged user when llmcli runs as root (so it can't read the parent's
  environment or home, nor signal the parent), and without network where the system
  allows a network namespace; there it also gets a mount namespace of its own, with
  empty private folders over those anyone may write to (/tmp, /var/tmp, /dev/shm,
  /run/lock) and a /proc that shows the sandbox's processes only.

The child splits in two (llmcli.sandbox_child): the program's process, and its judge.
Given `Tests`, the judge receives them only after the split, runs them in a process the
program's code never runs in, where the functions they test are stand-ins that call into the
program's process with plain data, and writes the verdict on a pipe only it holds. The
program's process holds no tests, no pass signal and no way to the verdict. Without tests,
the program passes when it runs to its end (its own asserts are then its tests).
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, TIMEOUT, LIMIT = "passed", "failed", "timed out", "resource limit"
TAMPERED = "tampering"  # the program reached for the harness (its frames, the collector, /proc/self) and was refused
UNPRIVILEGED = "nobody"
STDERR_KEEP = 4000  # characters of the program's stderr kept for the report
REPORT_KEEP = 1 << 20  # bytes of the judge's report read at most
CHILD_MODULES = ("llmcli.sandbox_wire", "llmcli.sandbox_judge", "llmcli.sandbox_child")

# What the child runs: it reads the child's modules from stdin (each a length and its code,
# compiled once by llmcli with this same interpreter), registers them under their names,
# and starts llmcli.sandbox_child.
BOOT = r"""
import marshal, os, sys, types
def take(size):
    data = b""
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            os._exit(70)
        data += chunk
    return data
sys.modules["llmcli"] = types.ModuleType("llmcli")
sys.modules["llmcli"].__path__ = []
for name in take(int.from_bytes(take(4), "big")).decode().split():
    module = sys.modules[name] = types.ModuleType(name)
    exec(marshal.loads(take(int.from_bytes(take(4), "big"))), module.__dict__)
del name, module
sys.modules["llmcli.sandbox_child"].main()
"""


@dataclass
class Limits:
    timeout_s: float = 5.0  # wall clock
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 16
    processes: int = 64  # for the unprivileged user, across all its programs at once


@dataclass(frozen=True)
class Tests:
    """Tests for the judge to run on a program, in the judge's own process.

    `source` runs there after `context` (trusted code the tests may use, such as the helper
    functions of a HumanEval prompt); in its namespace each name of `functions` is a
    stand-in for the program's function of that name. Arguments and results cross as plain
    data: None, bools, numbers, strings, bytes, lists, tuples, dicts and sets; any other
    result reaches the tests as an object equal only to itself. An argument the program
    changes in place is not changed in the tests."""

    source: str
    functions: tuple[str, ...]
    context: str = ""


@dataclass
class Outcome:
    status: str  # PASSED, FAILED, TIMEOUT, LIMIT or TAMPERED
    error: str = ""  # the first error: the last line of the traceback, or the limit hit
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


# Tried once, in a throwaway process: the namespaces (network and PID; mounts), and a /proc
# of a PID namespace's own mounted in them.
PROBE = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
mounts = libc.unshare(0x40000000 | 0x20000000 | 0x00020000) == 0
network = mounts or libc.unshare(0x40000000 | 0x20000000) == 0
proc = False
if mounts and libc.mount(b"none", b"/", None, 1 << 14 | 1 << 18, None) == 0:
    pid = os.fork()
    if pid == 0:
        os._exit(0 if libc.mount(b"proc", b"/proc", b"proc", 2 | 4 | 8, None) == 0 else 1)
    proc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
print(int(network), int(mounts), int(proc))
"""


@functools.cache
def isolation() -> dict[str, bool]:
    """Which namespaces a child can get here: {"network" (and PID), "mounts", "proc"}.
    Needs Linux, root, and a container (if any) that allows them."""
    found = {"network": False, "mounts": False, "proc": False}
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return found
    try:
        result = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE], capture_output=True, text=True, timeout=10)
        flags = [part == "1" for part in result.stdout.split()]
    except (OSError, subprocess.TimeoutExpired):
        return found
    return dict(zip(found, flags)) if len(flags) == 3 else found


def network_isolation_available() -> bool:
    """Whether a child can get network and PID namespaces of its own here."""
    return isolation()["network"]


def protections() -> dict[str, bool]:
    """The sandbox's protections and whether each is in force on this machine, for a report."""
    found = isolation()
    return {"judge apart from the program": True, "audit hook in the program": True,
            f"unprivileged user ({UNPRIVILEGED})": sys.platform.startswith("linux") and os.geteuid() == 0,
            "network and PID namespaces": found["network"], "private /tmp and /dev/shm": found["mounts"],
            "private /proc": found["proc"]}


def unprivileged_ids() -> tuple[int, int] | None:
    """(uid, gid) to drop to when running as root; None when not root."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(UNPRIVILEGED)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


# Standard modules generated code commonly imports (HumanEval's and MBPP's solutions use these).
PRELOAD = [
    "abc", "array", "bisect", "calendar", "cmath", "collections", "copy", "dataclasses", "datetime", "decimal",
    "enum", "fractions", "functools", "hashlib", "heapq", "itertools", "json", "math", "numbers", "operator",
    "random", "re", "signal", "socket", "statistics", "string", "sys", "textwrap", "time", "typing",
    "unicodedata",
]


# folders anyone may write to, hidden behind private ones where there is a mount namespace
SHARED_FOLDERS = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def message(value) -> bytes:
    return frame(json.dumps(value).encode())


@functools.cache
def child_modules() -> bytes:
    """The names of the child's modules, then the code of each, as BOOT reads them. Their
    file names start with "<llmcli sandbox", which is how the guard knows the harness's frames."""
    import marshal

    here = Path(__file__).parent
    codes = [compile((here / f"{name.rpartition('.')[2]}.py").read_text(encoding="utf-8"),
                     f"<llmcli sandbox: {name}>", "exec") for name in CHILD_MODULES]
    return frame(" ".join(CHILD_MODULES).encode()) + b"".join(frame(marshal.dumps(code)) for code in codes)


def child_input(source: str, tests: Tests | None, limits: Limits, ids, result: int, token: str) -> bytes:
    """All the child reads, in order: its modules, its settings, the program, then (read by
    the judge only, after the split) the token and the tests."""
    settings = {
        "namespaces": network_isolation_available(),
        "memory": limits.memory_mb << 20, "cpu": limits.cpu_s, "file": limits.file_mb << 20,
        "processes": limits.processes, "uid": ids[0] if ids else None, "gid": ids[1] if ids else None,
        "preload": PRELOAD, "shared_folders": SHARED_FOLDERS, "result": result,
    }
    judged = {"token": token, "tests": tests.source if tests else None, "context": tests.context if tests else "",
              "functions": list(tests.functions) if tests else []}
    return child_modules() + message(settings) + message(source) + message(judged)


def run_program(source: str, limits: Limits | None = None, tests: Tests | None = None) -> Outcome:
    """Run a Python program in the sandbox: against `tests` in its judge when given, else
    as a whole (the code and its tests as one source, passing when it runs to its end)."""
    limits = limits or Limits()
    ids = unprivileged_ids()
    token = secrets.token_hex(16)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llmcli-sandbox-") as root:
        root_path = Path(root)
        work = root_path / "work"
        work.mkdir()
        if ids is not None:
            os.chown(work, *ids)
            os.chmod(root_path, 0o711)  # the child may pass through, not look around
        result_read, result_write = os.pipe()
        stderr_path = root_path / "stderr.txt"
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work), "TMPDIR": str(work)}
        with open(stderr_path, "wb") as stderr:
            try:
                child = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", BOOT], cwd=work, env=env, stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=stderr, pass_fds=(result_write,), start_new_session=True)
            except BaseException:
                os.close(result_read)
                raise
            finally:
                os.close(result_write)
            timed_out = fed(child, child_input(source, tests, limits, ids, result_write, token), limits.timeout_s)
            kill_group(child)
        report = judge_report(result_read)
        seconds = time.perf_counter() - started
        error_text = stderr_path.read_text(encoding="utf-8", errors="replace")[-STDERR_KEEP:]
        # Python ignores SIGXFSZ: a program that fills stderr gets EFBIG, not the signal
        stderr_full = stderr_path.stat().st_size >= limits.file_mb << 20
    return classify(child.returncode, timed_out, report, token, error_text, seconds, limits, stderr_full)


def fed(child: subprocess.Popen, data: bytes, timeout_s: float) -> bool:
    """Write the child's stdin and wait for its end: whether it ran out of time."""
    try:
        child.communicate(data, timeout=timeout_s)
        return False
    except subprocess.TimeoutExpired:
        return True


def judge_report(fd: int) -> dict:
    """The first message on the judge's pipe ({} where there is none), read without
    blocking: all that held the pipe has ended."""
    data = b""
    try:
        os.set_blocking(fd, False)
        while len(data) < REPORT_KEEP:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            data += chunk
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    size = int.from_bytes(data[:4], "big")
    try:
        report = json.loads(data[4 : 4 + size]) if len(data) >= 4 + size > 4 else {}
    except ValueError:
        report = {}
    return report if isinstance(report, dict) else {}


def kill_group(child: subprocess.Popen) -> None:
    """Kill the program and everything it started: its session's process group, again
    while a fork bomb keeps adding to it (the PID namespace, where there is one, takes the
    rest). The first process is reaped, so that only live ones keep the group alive."""
    deadline = time.monotonic() + 0.25
    while True:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            break
        child.poll()
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    child.wait()
    if child.stdin and not child.stdin.closed:
        try:
            child.stdin.close()
        except OSError:
            pass


ERROR_KEEP = 300  # characters of the error line reported


def first_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:ERROR_KEEP] if lines else ""


def killed(code: int, limits: Limits, whose: str) -> Outcome | None:
    """What a death by signal means (code < 0), as an outcome without its seconds."""
    if code >= 0:
        return None
    signals = {signal.SIGXCPU: f"CPU time limit ({limits.cpu_s} s)",
               signal.SIGXFSZ: f"file size limit ({limits.file_mb} MB)"}
    if -code in signals:
        return Outcome(LIMIT, signals[-code])
    if -code == signal.SIGKILL and whose == "program":  # the CPU hard limit, or the kernel out of memory
        return Outcome(LIMIT, "killed (CPU or memory limit)")
    return Outcome(FAILED, f"the {whose} was killed by signal {-code}")


def classify(code: int, timed_out: bool, report: dict, token: str, stderr: str, seconds: float, limits: Limits,
             stderr_full: bool = False) -> Outcome:
    """The outcome, from the child's exit `code` (the judge's), the judge's `report` and
    the program's stderr. Only the token, which only the judge had, makes a pass."""
    error = str(report.get("error") or "")[:ERROR_KEEP] or first_error(stderr)
    ended = report.get("program")  # the program's exit status, where it ended by itself
    if timed_out:
        return Outcome(TIMEOUT, f"no result after {limits.timeout_s:g} s", seconds)
    if stderr_full or error.startswith("OSError: [Errno 27] File too large"):
        return Outcome(LIMIT, f"file size limit ({limits.file_mb} MB)", seconds)
    if report.get("token") == token:
        return Outcome(PASSED, "", seconds)
    if "tampering" in report:
        return Outcome(TAMPERED, f"refused: the program {str(report['tampering'])[:ERROR_KEEP]}", seconds)
    for status, whose in ((ended, "program"), (code, "sandbox")):
        outcome = killed(status, limits, whose) if type(status) is int else None
        if outcome:
            outcome.seconds = seconds
            return outcome
    if "MemoryError" in error:
        return Outcome(LIMIT, f"memory limit ({limits.memory_mb} MB)", seconds)
    if error.startswith("BlockingIOError") and "Resource temporarily unavailable" in error:
        return Outcome(LIMIT, f"process limit ({limits.processes})", seconds)
    return Outcome(FAILED, error or f"no verdict from the judge (the sandbox's exit status {code})", seconds)


def run_programs(sources: list[str], limits: Limits | None = None, workers: int | None = None,
                 tests: list[Tests | None] | None = None) -> list[Outcome]:
    """Run many programs, `workers` at a time (default: the number of CPUs), each against
    its tests where `tests` gives them."""
    workers = workers or os.cpu_count() or 1
    tests = tests if tests is not None else [None] * len(sources)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda pair: run_program(pair[0], limits, pair[1]), zip(sources, tests)))
