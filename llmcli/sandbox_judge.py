"""The judge: inside the sandbox's child, the parent of the program's process. It reads the
tests only once the program's process is apart, runs them in a namespace of its own where
the functions they test are stand-ins (Remote) that call into the program's process, and
alone holds the pipe the verdict goes out on. Standard library only."""

import builtins
import os
import select
import signal

from llmcli.sandbox_wire import ProgramFault, decode, describe, encode, receive, send

TAMPERED_EXIT = 113  # the program's exit status when its guard refused it
GARBAGE = "the program wrote something other than a reply on the harness's pipe"
UNCAUGHT = (StopIteration, StopAsyncIteration)  # raised by the program, they reach the tests as a fault


class Tampering(BaseException):
    """The program's guard refused it."""


class Program:
    """The judge's side of the program's process: calls out, replies in, and its end (the
    keeper, parent of both, sends the program's exit code on `ending`)."""

    def __init__(self, pid: int, calls: int, replies: int, ending: int):
        self.pid, self.calls, self.replies, self.ending = pid, calls, replies, ending
        self.status, self.ended_alone, self.fault = None, False, None

    def message(self) -> dict:
        if self.replies not in select.select([self.replies, self.ending], [], [])[0]:
            self.ended()
        try:
            message = receive(self.replies)
        except (ValueError, RecursionError, UnicodeError):
            message = "garbage"
        if message is None:
            self.ended()
        if type(message) is not dict:
            raise ProgramFault(GARBAGE)
        if "tampering" in message:
            raise Tampering(str(message["tampering"])[:300])
        return message

    def ended(self):
        """Raise what the program's end means."""
        self.stop(grace_s=0.2)  # its pipe closes a moment before the keeper can reap it
        if not self.ended_alone:
            raise ProgramFault("the program closed its pipe to the judge")
        if self.status == TAMPERED_EXIT:
            raise Tampering("refused by the sandbox's guard")
        if self.status == 0:
            raise ProgramFault("the program exited before its tests finished")
        raise ProgramFault(f"the program was killed by signal {-self.status}" if self.status < 0
                           else f"exit status {self.status}")

    def stop(self, grace_s: float = 0.0) -> None:
        """Learn how the program ended, or end it; `ended_alone` says whether it had."""
        if self.status is not None:
            return
        if select.select([self.ending], [], [], grace_s)[0]:
            code = receive(self.ending)
            if type(code) is int:
                self.status, self.ended_alone = code, True
                return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.status = -signal.SIGKILL

    def call(self, name: str, args: tuple, kwargs: dict):
        """A call of the program's function; a fault (tampering, the program's end, garbage)
        is kept, so that tests which catch everything still fail on it."""
        if self.fault is not None:
            raise self.fault
        try:
            return self.answer(name, args, kwargs)
        except (ProgramFault, Tampering) as fault:
            self.fault = fault
            raise

    def answer(self, name: str, args: tuple, kwargs: dict):
        try:
            request = {"call": name, "args": encode(list(args), strict=True), "kwargs": encode(kwargs, strict=True)}
        except (TypeError, ValueError, RecursionError) as error:
            raise ProgramFault(f"the tests' arguments for {name}: {error}") from None
        try:
            send(self.calls, request)
        except BrokenPipeError:
            self.ended()
        reply = self.message()
        if "raised" in reply:
            raise rebuilt(reply)
        try:
            return decode(reply["value"])
        except Exception:
            raise ProgramFault("the program replied with something other than plain data") from None


def rebuilt(reply: dict) -> BaseException:
    """What the program raised, as the tests may catch it: the first built-in exception in
    its class's ancestry; SystemExit and the like as a ProgramFault, which no test catches,
    and so is StopIteration (it would end the tests' `all(map(candidate, ...))` early)."""
    try:
        names = [str(name)[:100] for name in reply["raised"]][:50]
        message = str(reply.get("message", ""))[:1000]
    except Exception:
        return ProgramFault("the program replied with something other than plain data")
    for name in names:
        kind = getattr(builtins, name, None)
        if isinstance(kind, type) and issubclass(kind, UNCAUGHT):
            break
        if isinstance(kind, type) and issubclass(kind, Exception):
            try:
                error = kind(message) if message else kind()
            except Exception:
                continue
            error.raised_as = names[0]
            return error
    return ProgramFault(f"{names[0]}: {message}" if names and message else (names or ["an exception"])[0])


class Remote:
    """A function of the program's as the tests see it: a call sends its arguments to the
    program's process and returns the plain data that comes back, or raises what it raised."""

    def __init__(self, name: str, program: Program):
        self.__name__, self._program = name, program

    def __call__(self, *args, **kwargs):
        return self._program.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__} of the program>"


def run_tests(part: dict, program: Program) -> None:
    """The context (the prompt: helpers the tests use), the stand-ins, then the tests."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    try:
        context = compile(part.get("context") or "", "context", "exec")
    except (SyntaxError, ValueError):
        context = None  # a prompt that does not compile alone: the tests run without its helpers
    if context is not None:
        exec(context, namespace)
    for name in part["functions"]:
        namespace[name] = Remote(name, program)
    exec(compile(part["tests"], "tests", "exec"), namespace)


def judge(program: Program, part: dict, result: int) -> None:
    """The verdict, on the pipe only the judge holds: the token when the program started and
    the tests ran to their end; what went wrong otherwise."""
    verdict = {}
    try:
        first = program.message()
        if "ready" not in first:
            raise ProgramFault(str(first["error"])[:1000] if "error" in first else GARBAGE)
        if part.get("tests") is not None:
            run_tests(part, program)
        if program.fault is not None:  # the tests caught it; the verdict doesn't
            raise program.fault
        verdict["token"] = part["token"]
    except Tampering as refused:
        verdict["tampering"] = str(refused)
    except BaseException as error:
        verdict["error"] = describe(error)
    finally:
        program.stop()
    verdict["program"] = program.status if program.ended_alone else None
    send(result, verdict)
