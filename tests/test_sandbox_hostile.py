"""More hostile programs for the sandbox, beyond tests/test_sandbox.py: programs that try to
outlive their run (daemons, children that ignore signals, a fork bomb that leaves its
session), to leave files on the host, to reach the host through a socket, to kill what
they can, to flood the harness's pipes, or to exhaust threads and disk. Each must be
contained, reported as what it is, stopped within its time limit plus a second, and leave
no process behind: a walk of /proc finds no descendant of this test and no process of the
unprivileged user that was not there before."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from llmcli.sandbox import (FAILED, LIMIT, PASSED, TIMEOUT, Limits, network_isolation_available, run_program,
                            unprivileged_ids)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox's limits are Linux's")
isolated = pytest.mark.skipif(not network_isolation_available(),
                              reason="needs the sandbox's namespaces (Linux, root, a container that allows them)")

LIMITS = Limits(timeout_s=2.0, cpu_s=1, memory_mb=256, file_mb=4, processes=32)
NOBODY = (unprivileged_ids() or (None, None))[0]


def processes() -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, uid)} of every process /proc shows."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:  # it ended while we looked
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        uid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:"))
        found[int(entry)] = (parent, uid)
    return found


def descends(pid: int, ancestor: int, table: dict) -> bool:
    seen = set()
    while pid in table and pid not in seen and pid > 1:
        seen.add(pid)
        pid = table[pid][0]
        if pid == ancestor:
            return True
    return False


def strays(before: set[int]) -> list[int]:
    """Processes started since `before` that descend from this one, or run as the
    unprivileged user; given up to 3 s to go (the kernel reaps a namespace's last ones)."""
    me = os.getpid()
    deadline = time.monotonic() + 3.0
    while True:
        table = processes()
        left = [pid for pid, (_, uid) in table.items() if pid not in before and pid != me
                and (descends(pid, me, table) or (NOBODY is not None and uid == NOBODY))]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


@pytest.fixture(autouse=True)
def nothing_left_behind():
    before = set(processes())
    yield
    assert strays(before) == []


def run(source: str, limits: Limits = LIMITS):
    started = time.monotonic()
    outcome = run_program(source, limits)
    assert time.monotonic() - started < limits.timeout_s + 1.0, outcome
    return outcome


# -- programs that try to outlive their run ---------------------------------------------------

DAEMON = """
import os, time
if os.fork() == 0:
    os.setsid()  # a session of its own: out of the process group the sandbox kills
    if os.fork() == 0:
        {work}
    os._exit(0)
os.wait()
"""


@isolated
@pytest.mark.parametrize("work", [
    "time.sleep(60)",
    "import signal\n        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
    "            signal.signal(s, signal.SIG_IGN)\n        time.sleep(60)",
    "while True:\n            pass",
])
def test_a_daemon_does_not_outlive_a_passing_program(work):
    # the program itself passes: it ends normally, its tests (none) done
    assert run(DAEMON.format(work=work)).status == PASSED


@isolated
def test_a_fork_bomb_that_leaves_its_session_is_contained():
    outcome = run("import os\nwhile True:\n    if os.fork() == 0:\n        os.setsid()\n")
    assert outcome.status in (LIMIT, TIMEOUT, FAILED) and not outcome.passed


def test_a_thread_bomb_hits_the_process_limit():
    outcome = run("import threading, time\nwhile True:\n"
                  "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    assert not outcome.passed and outcome.status in (FAILED, LIMIT, TIMEOUT)


def test_a_child_left_sleeping_when_the_program_times_out():
    outcome = run("import os, time\nif os.fork() == 0:\n    time.sleep(60)\ntime.sleep(60)\n")
    assert outcome.status == TIMEOUT


# -- programs that try to touch the host --------------------------------------------------------

@isolated
def test_files_written_where_anyone_may_write_vanish_with_the_program():
    name = f"llmcli-hostile-{uuid.uuid4().hex}"
    folders = [f for f in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock") if os.path.isdir(f)]
    writes = "".join(f"open({f + '/' + name!r}, 'w').write('x')\nassert os.path.exists({f + '/' + name!r})\n"
                     for f in folders)
    assert run("import os\n" + writes).status == PASSED  # it could write there, privately...
    assert not [f for f in folders if os.path.exists(f"{f}/{name}")]  # ...and the host never saw it


@isolated
def test_a_unix_socket_of_the_host_is_out_of_reach():
    address = f"\0llmcli-hostile-{uuid.uuid4().hex}"  # abstract: belongs to the network namespace
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address)
    server.listen()
    server.settimeout(0.5)
    try:
        outcome = run(f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({address!r})\n")
        assert outcome.status == FAILED and "ConnectionRefusedError" in outcome.error
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


@isolated
def test_the_network_interfaces_are_only_loopback():
    outcome = run("import socket\nnames = [name for _, name in socket.if_nameindex()]\n"
                  "assert names == ['lo'], names\n")
    assert outcome.status == PASSED


@isolated
def test_killing_every_process_it_can_reaches_nothing_outside_and_passes_nothing():
    # a process of the unprivileged user outside the sandbox: kill(-1) as that user would reach it
    neighbour = subprocess.Popen(["sleep", "30"], user=NOBODY, stdin=subprocess.DEVNULL)
    try:
        # Linux spares the caller of kill(-1); whether the judge is still root then (out of
        # reach) or already the program's user (killed: no verdict) is a race. Either way a
        # program that would fail must not pass by killing what it can.
        outcome = run("import os, signal\nos.kill(-1, signal.SIGKILL)\nimport time\ntime.sleep(1)\n"
                      "raise SystemExit(1)\n")
        assert not outcome.passed
        assert neighbour.poll() is None
    finally:
        neighbour.kill()
        neighbour.wait()


# -- programs that try to fool the harness ------------------------------------------------------

def test_writing_to_every_descriptor_does_not_pass():
    outcome = run("import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'0' * 32)\n"
                  "    except OSError:\n        pass\nos._exit(0)\n")
    assert outcome.status == FAILED


def test_an_exit_hidden_in_atexit_or_a_finally_does_not_pass():
    assert run("import atexit, os\natexit.register(lambda: os._exit(0))\nraise SystemExit(1)\n").status == FAILED
    assert run("try:\n    assert False, 'wrong'\nfinally:\n    import os\n    os._exit(0)\n").status == FAILED


def test_a_flood_on_stderr_hits_the_file_size_limit():
    outcome = run("import sys\nwhile True:\n    sys.stderr.write('x' * 65536)\n")
    assert outcome.status == LIMIT and outcome.error == "file size limit (4 MB)"
