"""The sandbox's judge: tests run apart from the program, with what honest tests need
(results of every plain kind, exceptions they expect, state across calls, the prompt's
helpers), what they can't have (objects, arguments that aren't plain data) said plainly,
and faults the tests can't hide. Also the wire's plain data, read without a sandbox."""

from __future__ import annotations

import math
import sys

import pytest

from llmcli import sandbox
from llmcli.sandbox import FAILED, PASSED, TAMPERED, Limits, protections, run_program
from llmcli.sandbox_wire import Opaque, decode, encode

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox's limits are Linux's")
LIMITS = Limits(timeout_s=3.0, cpu_s=2, memory_mb=256, file_mb=4, processes=32)


def judged(program: str, tests: str, functions=("f",), context: str = ""):
    return run_program(program, LIMITS, sandbox.Tests(tests, tuple(functions), context))


# -- plain data ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 3 ** 2000, -(2 ** 1500), 1.5, -0.0, float("inf"), "é\ud800\x00", b"\x00\xff",
    [1, [2, "x"]], (1, (2,), ()), {1: "a", (2, 3): [4], "k": {"n": None}}, {1, "a", (2,)}, frozenset({3}), 2 - 1j,
])
def test_plain_data_crosses_as_itself(value):
    back = decode(encode(value))
    assert back == value and type(back) is type(value)
    assert all(type(a) is type(b) for a, b in zip(back, value)) if isinstance(value, (list, tuple)) else True


def test_nan_and_subclasses_cross_as_plain_values():
    assert math.isnan(decode(encode(float("nan"))))

    class Loud(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    assert type(decode(encode(Loud(3)))) is int and decode(encode(Loud(3))) != 4
    from collections import Counter, OrderedDict

    assert decode(encode(Counter("aab"))) == {"a": 2, "b": 1}
    assert type(decode(encode(OrderedDict(a=1)))) is dict


def test_objects_cross_as_opaque_and_equal_nothing():
    back = decode(encode(object()))
    assert isinstance(back, Opaque) and back != back.kind and back != 0 and "object" in repr(back)
    with pytest.raises(TypeError, match="plain data only"):
        encode([object()], strict=True)


@pytest.mark.parametrize("tree", [{"eval": "1"}, {"tuple": [1], "set": [2]}, {"bytes": 5}, {"dict": [[1]]}])
def test_what_is_not_plain_data_is_refused(tree):
    with pytest.raises(Exception):
        decode(tree)


# -- the judge -------------------------------------------------------------------------------------

@linux_only
def test_results_of_every_plain_kind_reach_the_tests():
    program = ("def f(x, *, key=None):\n    return (x, [x], {x: key}, {x}, b'ab', 2 ** 4000, 1.5, None, "
               "f'{key}')\n")
    tests = ("r = f(3, key=(1, 2))\nassert r[:2] == (3, [3]) and type(r) is tuple\n"
             "assert r[2] == {3: (1, 2)} and r[3] == {3} and r[4] == b'ab' and r[5] == 2 ** 4000\n"
             "assert r[6] == 1.5 and r[7] is None and r[8] == '(1, 2)'\n")
    assert judged(program, tests).status == PASSED


@linux_only
def test_exceptions_the_tests_expect_and_state_across_calls():
    program = ("class Negative(ValueError):\n    pass\ncount = 0\n"
               "def f(x):\n    global count\n    count += 1\n    if x < 0:\n        raise Negative('no')\n"
               "    return count\n")
    tests = ("assert f(1) == 1 and f(1) == 2\ntry:\n    f(-1)\nexcept ValueError as e:\n    assert str(e) == 'no'\n"
             "else:\n    assert False\n")
    assert judged(program, tests).status == PASSED
    failing = judged(program, "f(-1)\n")
    assert failing.status == FAILED and failing.error == "Negative: no"
    missing = judged(program, "assert g() == 1\n", functions=("g",))
    assert missing.status == FAILED and missing.error == "NameError: name 'g' is not defined"


@linux_only
def test_the_prompts_helpers_run_in_the_judge():
    context = "def double(x):\n    return 2 * x\n\n\ndef f(x):\n    '''Return half of double(x).'''\n"
    program = context + "    return x\n\n\ndef double(x):\n    return x\n"  # the program's own double is not used
    assert judged(program, "assert double(f(4)) == 8\n", context=context).status == PASSED
    assert judged(program, "assert f(4) == 4\n", context="def f(x)\n").status == PASSED  # a context that doesn't compile


@linux_only
def test_what_the_judge_cannot_send_fails_plainly():
    outcome = judged("def f(x):\n    return x\n", "f(object())\n")
    assert outcome.status == FAILED and "plain data only" in outcome.error
    assert judged("def f():\n    return iter([])\n", "assert f() == []\n").status == FAILED


@linux_only
@pytest.mark.parametrize("program, error", [
    ("def f():\n    import sys\n    sys.exit(0)\n", "SystemExit"),
    ("def f():\n    import os\n    os._exit(0)\n", "exited before its tests finished"),
    ("def f():\n    import os, time\n    for fd in range(3, 30):\n        try:\n            os.close(fd)\n"
     "        except OSError:\n            pass\n    time.sleep(5)\n", "closed its pipe"),
    ("def f(:\n", "SyntaxError"),
    ("def f():\n    raise StopIteration\n", "StopIteration"),
])
def test_faults_fail_even_when_the_tests_catch_everything(program, error):
    outcome = judged(program, "for _ in range(3):\n    try:\n        f()\n    except BaseException:\n        pass\n")
    assert outcome.status == FAILED and error in outcome.error, outcome


@linux_only
def test_a_stop_iteration_does_not_end_the_tests_early():
    outcome = judged("def f(x):\n    raise StopIteration\n", "assert all(map(f, [1, 2, 3]))\n")
    assert outcome.status == FAILED and "StopIteration" in outcome.error


@linux_only
def test_tampering_is_refused_even_when_the_tests_catch_everything():
    program = "def f():\n    import gc\n    gc.get_objects()\n"
    outcome = judged(program, "try:\n    f()\nexcept BaseException:\n    pass\n")
    assert outcome.status == TAMPERED and "garbage collector" in outcome.error


@linux_only
def test_honest_introspection_of_its_own_is_allowed():
    program = ("import sys\nfrom collections import namedtuple\nPoint = namedtuple('Point', 'x y')\n"
               "def f():\n    here = sys._getframe(0)\n    return [here.f_code.co_name, Point(1, 2).x, "
               "open(__import__('os').devnull).read()]\n")
    assert judged(program, "assert f() == ['f', 1, '']\n").status == PASSED


def test_protections_say_what_is_in_force():
    found = protections()
    assert found["judge apart from the program"] and all(isinstance(on, bool) for on in found.values())
