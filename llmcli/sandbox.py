"""Running untrusted (model-written) Python programs under limits, for any plugin.

Each program runs in a process of its own:

- with a wall-clock timeout, after which its whole process group is killed;
- with limits on CPU time, memory, file size and the number of processes;
- in a fresh temporary working directory, with a scrubbed environment, no stdin, and
  Python's isolated mode (-I: no user site, no PYTHON* variables, no current folder on
  the path);
- as an unprivileged user when llmcli runs as root (so it can't read the parent's
  environment or home, nor signal the parent), and without network where the system
  allows a network namespace; there it also gets a mount namespace of its own, with
  empty private folders over those anyone may write to (/tmp, /var/tmp, /dev/shm,
  /run/lock), so nothing it writes outlives it.

A program passes only if it ran to the end of its tests: the harness reads a secret from
a pipe before the program starts and writes it back on another pipe after the tests
returned, so an early exit(0), os._exit(0), a SystemExit raised by the tests or a patched
helper all count as failures.
"""

from __future__ import annotations

import functools
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
UNPRIVILEGED = "nobody"
STDERR_KEEP = 4000  # characters of the program's stderr kept for the report

# The harness: runs `program` then `tests` in one namespace; writes the secret back only
# if both returned. Everything it needs is bound before untrusted code runs.
HARNESS = r"""
import os, sys
_read, _write, _close = os.read, os.write, os.close
_secret = _read(int(sys.argv[1]), 64)
_close(int(sys.argv[1]))
_done = int(sys.argv[2])
_source = open(sys.argv[3], encoding="utf-8").read()
del sys.argv[1:]
def _run(source, write=_write, done=_done, secret=_secret, close=_close):
    code = compile(source, "program.py", "exec")
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    write(done, secret)
    close(done)
del _secret, _read
_run(_source)
"""


@dataclass
class Limits:
    timeout_s: float = 5.0  # wall clock
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 16
    processes: int = 64  # for the unprivileged user, across all its programs at once


@dataclass
class Outcome:
    status: str  # PASSED, FAILED, TIMEOUT or LIMIT
    error: str = ""  # the first error: the last line of the traceback, or the limit hit
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@functools.cache
def network_isolation_available() -> bool:
    """Whether a child can get network and PID namespaces of its own here: Linux, root,
    and a container (if any) that allows it. Tried once, in a throwaway process."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    probe = "import ctypes; print(ctypes.CDLL(None, use_errno=True).unshare(0x40000000 | 0x20000000))"
    try:
        result = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.stdout.strip() == "0"


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


# What the child runs first: it sets the limits, leaves the network, loads the standard
# modules programs use, then drops root (when it has it) and runs the harness. It runs in
# place of a preexec_fn, which is unsafe when the parent has threads (run_programs does).
# Modules are loaded before dropping root because the interpreter's files may not be
# readable by the unprivileged user (a Python under /root, say).
TRAMPOLINE = r"""
import ctypes, json, os, resource, sys
limits = json.loads(sys.argv[1])
del sys.argv[1]
if limits["namespaces"]:
    # no network (CLONE_NEWNET), and a PID namespace (CLONE_NEWPID) whose first process is
    # the program: when it dies, the kernel kills all it started, even those that left its
    # process group. Where this fails, the program keeps the host's network.
    # The namespace's first process (its init) ignores signals such as SIGXCPU, so it only
    # waits: the program is its child, and ends the namespace by ending.
    # With a mount namespace too (CLONE_NEWNS), the folders anyone may write to become
    # fresh, private tmpfs, so the program can't leave files on the host.
    import signal
    libc = ctypes.CDLL(None, use_errno=True)
    NET, PID, MOUNT = 0x40000000, 0x20000000, 0x00020000

    def end_as(pid, init):
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if init:  # a signal's death becomes 128 + its number, passed out...
            os._exit(128 - status if status < 0 else status)
        if status > 128:  # ...and outside, the signal again, for the caller to see
            signal.signal(status - 128, signal.SIG_DFL)
            os.kill(os.getpid(), status - 128)
        os._exit(status)

    isolated = libc.unshare(NET | PID | MOUNT) == 0
    if isolated:
        libc.mount(b"none", b"/", None, 1 << 14 | 1 << 18, None)  # MS_REC | MS_PRIVATE: no mount leaks out
        for folder in limits["shared_folders"]:
            if os.path.isdir(folder):  # MS_NOSUID | MS_NODEV
                libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 2 | 4, f"mode=1777,size={limits['file']}".encode())
        os.environ.update(HOME="/tmp", TMPDIR="/tmp")  # the sandbox's own folder is now covered
    else:
        isolated = libc.unshare(NET | PID) == 0
    if isolated:
        pid = os.fork()
        if pid:
            end_as(pid, init=False)
        pid = os.fork()
        if pid:
            end_as(pid, init=True)
    else:
        libc.unshare(NET)
for name in limits["preload"]:
    try:
        __import__(name)
    except ImportError:
        pass
memory, cpu, size = limits["memory"], limits["cpu"], limits["file"]
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if limits["uid"] is not None:
    os.setgroups([])
    os.setgid(limits["gid"])
    os.setuid(limits["uid"])
resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
harness = limits.pop("harness")
del limits, memory, cpu, size, name
exec(compile(harness, "harness", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
"""
# Standard modules generated code commonly imports (HumanEval's and MBPP's solutions use these).
PRELOAD = [
    "abc", "array", "bisect", "calendar", "cmath", "collections", "copy", "dataclasses", "datetime", "decimal",
    "enum", "fractions", "functools", "hashlib", "heapq", "itertools", "json", "math", "numbers", "operator",
    "random", "re", "signal", "socket", "statistics", "string", "sys", "textwrap", "time", "typing",
    "unicodedata",
]


# folders anyone may write to, hidden behind private ones where there is a mount namespace
SHARED_FOLDERS = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]


def trampoline_settings(limits: Limits, ids) -> str:
    import json

    return json.dumps({
        "namespaces": network_isolation_available(),
        "memory": limits.memory_mb << 20, "cpu": limits.cpu_s, "file": limits.file_mb << 20,
        "processes": limits.processes, "uid": ids[0] if ids else None, "gid": ids[1] if ids else None,
        "harness": HARNESS, "preload": PRELOAD, "shared_folders": SHARED_FOLDERS,
    })


def run_program(source: str, limits: Limits | None = None) -> Outcome:
    """Run a Python program (the code and its tests, as one source) in the sandbox."""
    limits = limits or Limits()
    ids = unprivileged_ids()
    secret = secrets.token_hex(16).encode()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llmcli-sandbox-") as root:
        root_path = Path(root)
        work = root_path / "work"
        work.mkdir()
        program = root_path / "program.py"
        program.write_text(source, encoding="utf-8")
        if ids is not None:
            os.chown(work, *ids)
            os.chmod(root_path, 0o711)  # the child may pass through, and read program.py only
            os.chmod(program, 0o644)
        secret_read, secret_write = os.pipe()
        done_read, done_write = os.pipe()
        os.write(secret_write, secret)
        os.close(secret_write)
        stderr_path = root_path / "stderr.txt"
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work), "TMPDIR": str(work)}
        with open(stderr_path, "wb") as stderr:
            try:
                child = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", TRAMPOLINE, trampoline_settings(limits, ids),
                     str(secret_read), str(done_write), os.path.join("..", program.name)],
                    cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                    pass_fds=(secret_read, done_write), start_new_session=True,
                )
            finally:
                os.close(secret_read)
                os.close(done_write)
            timed_out = False
            try:
                child.wait(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                kill_group(child)
        with os.fdopen(done_read, "rb") as done:
            reported = done.read(64)
        seconds = time.perf_counter() - started
        error_text = stderr_path.read_text(encoding="utf-8", errors="replace")[-STDERR_KEEP:]
        # Python ignores SIGXFSZ: a program that fills stderr gets EFBIG, not the signal
        stderr_full = stderr_path.stat().st_size >= limits.file_mb << 20
    return classify(child.returncode, timed_out, reported == secret, error_text, seconds, limits, stderr_full)


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


ERROR_KEEP = 300  # characters of the error line reported


def first_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:ERROR_KEEP] if lines else ""


def classify(code: int, timed_out: bool, finished: bool, stderr: str, seconds: float, limits: Limits,
             stderr_full: bool = False) -> Outcome:
    error = first_error(stderr)
    if timed_out:
        return Outcome(TIMEOUT, f"no result after {limits.timeout_s:g} s", seconds)
    if stderr_full or error.startswith("OSError: [Errno 27] File too large"):
        return Outcome(LIMIT, f"file size limit ({limits.file_mb} MB)", seconds)
    if code < 0:
        signals = {signal.SIGXCPU: f"CPU time limit ({limits.cpu_s} s)",
                   signal.SIGXFSZ: f"file size limit ({limits.file_mb} MB)"}
        if -code in signals:
            return Outcome(LIMIT, signals[-code], seconds)
        if -code == signal.SIGKILL:  # the CPU hard limit, or the kernel out of memory
            return Outcome(LIMIT, "killed (CPU or memory limit)", seconds)
        return Outcome(FAILED, f"killed by signal {-code}", seconds)
    if "MemoryError" in error:
        return Outcome(LIMIT, f"memory limit ({limits.memory_mb} MB)", seconds)
    if error.startswith("BlockingIOError") and "Resource temporarily unavailable" in error:
        return Outcome(LIMIT, f"process limit ({limits.processes})", seconds)
    if code == 0 and finished:
        return Outcome(PASSED, "", seconds)
    if code == 0:
        return Outcome(FAILED, "the program exited before its tests finished", seconds)
    return Outcome(FAILED, error or f"exit status {code}", seconds)


def run_programs(sources: list[str], limits: Limits | None = None, workers: int | None = None) -> list[Outcome]:
    """Run many programs, `workers` at a time (default: the number of CPUs)."""
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda s: run_program(s, limits), sources))
