"""What runs inside the sandbox's child process. `llmcli.sandbox` sends the source of this
module and of the two it imports (sandbox_wire, sandbox_judge) over the child's stdin: the
child runs `python -I -S` and imports nothing but the standard library from disk. Then come
the child's settings, the program, and what the judge needs.

The child confines itself (namespaces, limits), reads the program and forks twice, each
child as the unprivileged user, not dumpable (no ptrace, no /proc files for others):

- the judge (llmcli.sandbox_judge) reads the tests only once the program's process is
  apart, and alone holds the pipe the verdict goes out on;
- the program's process runs the program under an audit hook (`guard`), then serves calls:
  a function's name and arguments in, its result (or what it raised) out, as plain data.

The keeper, their parent, stays root (when llmcli is) and only waits: it tells the judge
how the program ended, and ends the program when the judge is done.

So the program's process never holds the tests, the token that says "passed", or the
verdict's pipe: there is nothing in it to find by walking frames, the collector's objects
or /proc/self, and the guard reports who tries.
"""

import builtins
import os
import signal
import sys

from llmcli.sandbox_judge import TAMPERED_EXIT, Program, judge
from llmcli.sandbox_wire import decode, describe, encode, receive, send, text_of

HARNESS = "<llmcli sandbox"  # how the file names of the harness's code start in the child
PR_SET_DUMPABLE = 4
CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS = 0x40000000, 0x20000000, 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18


# -- the program's process ----------------------------------------------------------------------

GUARDED = {"gc.get_objects": "walked the garbage collector's objects", "gc.get_referrers": "asked the garbage "
           "collector for referrers", "gc.get_referents": "asked the garbage collector for referents",
           "sys._current_frames": "took every thread's frames"}
GUARDED.update((event, "used ctypes") for event in (
    "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.cdata", "ctypes.cdata/buffer",
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.addressof", "ctypes.call_function"))
PATH_EVENTS = {"open": "opened", "os.listdir": "listed", "os.scandir": "listed", "os.chdir": "entered",
               "os.symlink": "linked to"}


def reaches_harness(path, own: set) -> bool:
    """Whether a path leads into the sandbox's own processes: /proc/self, /proc/PID of the
    program, its threads or its judge, or /dev/fd."""
    if path is None or isinstance(path, int):
        return False
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        return False
    for where in (os.path.abspath(path), os.path.realpath(path)):
        parts = where.split("/")
        if parts[1:3] == ["dev", "fd"]:
            return True
        if len(parts) > 2 and parts[1] == "proc" and (
                parts[2] in own or parts[2].isdigit() and os.path.exists(f"/proc/self/task/{parts[2]}")):
            return True
    return False


def guard(replies: int, judge: int) -> None:
    """An audit hook (PEP 578: it can't be removed) that ends the program, as tampering, when
    it reaches for the harness: the collector's object lists, another thread's frames or a
    frame of the harness, ctypes, the descriptors and memory of its process or its judge."""
    own = {str(os.getpid()), str(judge), "self", "thread-self"}
    end = os._exit

    def refuse(what: str) -> None:
        try:
            send(replies, {"tampering": what})
        finally:
            end(TAMPERED_EXIT)

    def hook(event, args):
        if event in GUARDED:
            refuse(GUARDED[event])
        elif event == "sys._getframe" and args[0].f_code.co_filename.startswith(HARNESS):
            refuse("took a frame of the harness (sys._getframe)")
        elif event in PATH_EVENTS and args and reaches_harness(args[0], own):
            refuse(f"{PATH_EVENTS[event]} {os.fsdecode(os.fspath(args[0]))}")

    sys.addaudithook(hook)


def serve(source: str, calls: int, replies: int) -> None:
    """Run the program, say whether it ran to its end, then answer calls until the judge stops."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(source, "program.py", "exec"), namespace)
    except BaseException as error:
        send(replies, {"error": describe(error)})
        return
    send(replies, {"ready": True})
    while True:
        request = receive(calls)
        if request is None:
            return
        send(replies, answer(namespace, request))


def answer(namespace: dict, request: dict) -> dict:
    name = request["call"]
    try:
        if name not in namespace:
            raise NameError(f"name {name!r} is not defined")
        result = namespace[name](*decode(request["args"]), **decode(request["kwargs"]))
        return {"value": encode(result)}
    except BaseException as error:
        return {"raised": [kind.__name__ for kind in type(error).__mro__], "message": text_of(error)}


# -- the child's start ------------------------------------------------------------------------------

def end_as(pid: int, init: bool) -> None:
    """Wait for pid, then end as it did."""
    end_like(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), init)


def end_like(code: int, init: bool = False) -> None:
    """End with an exit code, or by the signal of a negative one. The namespace's init
    passes a signal out as 128 + its number (an init ignores such signals); outside, it
    becomes the signal again."""
    if init:
        os._exit(128 - code if code < 0 else code)
    number = code - 128 if code > 128 else -code if code < 0 else 0
    if number:
        if number not in (signal.SIGKILL, signal.SIGSTOP):  # those two can't be caught anyway
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(code)


def isolate(settings: dict) -> None:
    """Where the system allows (Linux, root): no network (CLONE_NEWNET); a PID namespace whose
    end kills all the program started, even what left its process group; and a mount
    namespace where the folders anyone may write to are fresh, private tmpfs and /proc shows
    the sandbox's processes only. The processes outside and the namespace's init only wait."""
    if not settings["namespaces"]:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    mounts = libc.unshare(CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWNS) == 0
    if mounts:
        libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)  # no mount leaks out
        for folder in settings["shared_folders"]:
            if os.path.isdir(folder):
                libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                           f"mode=1777,size={settings['file']}".encode())
        os.environ.update(HOME="/tmp", TMPDIR="/tmp")  # the sandbox's own folder is now covered
    elif libc.unshare(CLONE_NEWNET | CLONE_NEWPID) != 0:
        libc.unshare(CLONE_NEWNET)  # where this fails too, the program keeps the host's network
        return
    for init in (False, True):
        pid = os.fork()
        if pid:
            end_as(pid, init)
    if mounts:
        libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def confine(settings: dict) -> None:
    """Load the modules programs use (the interpreter's files may be unreadable to the
    unprivileged user), and set the limits."""
    import resource

    for name in settings["preload"]:
        try:
            __import__(name)
        except ImportError:
            pass
    memory, cpu, size = settings["memory"], settings["cpu"], settings["file"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_root(settings: dict) -> None:
    """Become the unprivileged user (when root), limit its processes, and forbid core dumps
    and ptrace: no process of the same user may then trace this one or read its /proc files."""
    import ctypes
    import resource

    if settings["uid"] is not None:
        os.setgroups([])
        os.setgid(settings["gid"])
        os.setuid(settings["uid"])
    resource.setrlimit(resource.RLIMIT_NPROC, (settings["processes"], settings["processes"]))
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def quiet_stdin() -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def keep(judge_pid: int, program_pid: int, ended: int) -> None:
    """The keeper, parent of both and still root when llmcli is: tells the judge how the
    program ended; when the judge ends, ends the program, then ends as the judge did."""
    while True:
        pid, status = os.wait()
        if pid == program_pid:
            program_pid = None
            try:
                send(ended, os.waitstatus_to_exitcode(status))
            except OSError:  # the judge is gone
                pass
        elif pid == judge_pid:
            if program_pid is not None:
                os.kill(program_pid, signal.SIGKILL)
                os.waitpid(program_pid, 0)
            end_like(os.waitstatus_to_exitcode(status))


def main() -> None:
    """Read the settings and the program, then split: the judge first (it waits for the
    program's pid before it reads the tests), then the program, then the keeper waits."""
    settings = receive(0)
    isolate(settings)
    confine(settings)
    program = receive(0)
    (calls_read, calls_write), (replies_read, replies_write), (go_read, go_write), (ended_read, ended_write) = (
        os.pipe() for _ in range(4))
    judge_pid = os.fork()
    if judge_pid == 0:
        for fd in (calls_read, replies_write, go_write, ended_write):
            os.close(fd)
        drop_root(settings)
        program_pid = receive(go_read)  # the program's process is apart: now the tests may come
        part = receive(0)
        quiet_stdin()
        judge(Program(program_pid, calls_write, replies_read, ended_read), part, settings["result"])
        os._exit(0)
    program_pid = os.fork()
    if program_pid == 0:  # never sees the tests, the token or the verdict's pipe
        for fd in (calls_write, replies_read, go_read, go_write, ended_read, ended_write, settings["result"]):
            os.close(fd)
        quiet_stdin()
        drop_root(settings)
        guard(replies_write, judge_pid)
        try:
            serve(program, calls_read, replies_write)
        finally:
            os._exit(0)
    for fd in (calls_read, calls_write, replies_read, replies_write, go_read, ended_read, settings["result"]):
        os.close(fd)
    send(go_write, program_pid)
    keep(judge_pid, program_pid, ended_write)


if __name__ == "__main__":
    main()
