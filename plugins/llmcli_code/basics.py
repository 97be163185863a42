"""The basic problems of the built-in dataset: a few numbers combined ("the largest of
three numbers") and the classic small functions (factorial, primes, palindromes). They are
always training problems: the things someone is likely to ask `llmcli run code` for."""

from __future__ import annotations

import random

from llmcli_code.families import Problem, function_name

COUNTS = {2: "two", 3: "three", 4: "four"}
NAME_SETS = (("a", "b", "c", "d"), ("x", "y", "z", "w"), ("p", "q", "r", "s"))

# (key, names, descriptions over {count} and {names}, code over {args}: "a, b, c" or {plus} "a + b + c",
#  the counts it takes)
COMBINATIONS = (
    ("largest", ("largest", "biggest", "maximum", "max_of_{count}", "largest_of_{count}"),
     ("Return the largest of {count} numbers.", "Return the largest of {names}.", "Return the maximum of {names}.",
      "Find the biggest of the numbers {names}."), "return max({args})", (2, 3, 4)),
    ("smallest", ("smallest", "minimum", "min_of_{count}", "smallest_of_{count}"),
     ("Return the smallest of {count} numbers.", "Return the smallest of {names}.", "Return the minimum of {names}."),
     "return min({args})", (2, 3, 4)),
    ("sum", ("add", "total", "sum_of_{count}"),
     ("Return the sum of {count} numbers.", "Return the sum of {names}.", "Add {names} together."),
     "return {plus}", (2, 3, 4)),
    ("product", ("multiply", "product", "product_of_{count}"),
     ("Return the product of {count} numbers.", "Return the product of {names}.", "Multiply {names} together."),
     "return {times}", (2, 3, 4)),
    ("average", ("average", "mean", "average_of_{count}"),
     ("Return the average of {count} numbers.", "Return the average of {names}.", "Return the mean of {names}."),
     "return ({plus}) / {n}", (2, 3, 4)),
    ("middle", ("middle", "median_of_three"),
     ("Return the middle value of three numbers.", "Return the median of {names}."),
     "return sorted([{args}])[1]", (3,)),
    ("equal", ("all_equal", "same"),
     ("Return True if {names} are all equal.", "Check whether the {count} numbers {names} are equal."),
     "return {equal}", (2, 3)),
    ("increasing", ("increasing", "in_order", "is_sorted"),
     ("Return True if {names} are in increasing order.", "Check whether {names} are strictly increasing."),
     "return {less}", (2, 3)),
    ("difference", ("difference", "subtract"),
     ("Return {first} minus {second}.", "Subtract {second} from {first}."), "return {minus}", (2,)),
    ("distance", ("distance", "abs_difference"),
     ("Return the absolute difference of {names}.", "Return how far apart {names} are."),
     "return abs({minus})", (2,)),
)


def combination(rng: random.Random) -> Problem:
    key, names, descriptions, code, counts = rng.choice(COMBINATIONS)
    n = rng.choice(counts)
    args = rng.choice(NAME_SETS)[:n]
    listed = ", ".join(args[:-1]) + " and " + args[-1]
    words = {"count": COUNTS[n], "names": listed, "first": args[0], "second": args[-1], "n": n,
             "args": ", ".join(args), "plus": " + ".join(args), "times": " * ".join(args),
             "equal": " == ".join(args), "less": " < ".join(args), "minus": " - ".join(args)}
    name = function_name(rng, [rng.choice(names).format(**words)])
    description = rng.choice(descriptions).format(**words)
    return Problem(("combination", key, n), name, args, ("int",) * n, description, [code.format(**words)], core=True)


# (key, names, args, kinds, descriptions over the argument names, body over them)
CLASSICS = (
    ("factorial", ("factorial", "fact"), ("n",), ("small",),
     ("Return the factorial of {0}.", "Return {0}! (the product of the numbers from 1 to {0})."),
     ["result = 1", "for i in range(2, {0} + 1):", "    result *= i", "return result"]),
    ("fibonacci", ("fibonacci", "fib", "nth_fibonacci"), ("n",), ("small",),
     ("Return the {0}-th Fibonacci number, starting from 0 and 1.", "Return Fibonacci number {0} (fib(0) is 0)."),
     ["a, b = 0, 1", "for _ in range({0}):", "    a, b = b, a + b", "return a"]),
    ("prime", ("is_prime", "prime"), ("n",), ("prime",),
     ("Return True if {0} is a prime number, otherwise False.", "Check whether {0} is prime."),
     ["if {0} < 2:", "    return False", "for d in range(2, {0}):", "    if {0} % d == 0:", "        return False",
      "return True"]),
    ("gcd", ("gcd", "greatest_common_divisor"), ("a", "b"), ("pos", "pos"),
     ("Return the greatest common divisor of {0} and {1}.", "Return the largest number that divides both {0} and {1}."),
     ["while {1}:", "    {0}, {1} = {1}, {0} % {1}", "return {0}"]),
    ("palindrome", ("is_palindrome", "palindrome"), ("s",), ("word",),
     ("Return True if {0} is a palindrome, otherwise False.", "Check whether {0} reads the same backwards."),
     ["return {0} == {0}[::-1]"]),
    ("reverse", ("reverse", "reverse_string", "backwards"), ("s",), ("phrase",),
     ("Return {0} reversed.", "Reverse the string {0}."), ["return {0}[::-1]"]),
    ("words", ("count_words", "word_count"), ("s",), ("phrase",),
     ("Return the number of words in {0}.", "Count the words in the string {0}."), ["return len({0}.split())"]),
    ("power", ("power", "pow"), ("base", "exp"), ("int", "small"),
     ("Return {0} to the power {1}, using a loop.", "Return {0} raised to the power {1}."),
     ["result = 1", "for _ in range({1}):", "    result *= {0}", "return result"]),
    ("reverse_number", ("reverse_digits", "reverse_number"), ("n",), ("big",),
     ("Return the number with the digits of {0} in reverse order.", "Reverse the digits of {0}."),
     ["return int(str({0})[::-1])"]),
    ("leap", ("is_leap_year", "leap_year"), ("year",), ("year",),
     ("Return True if {0} is a leap year, otherwise False.", "Check whether {0} is a leap year."),
     ["return {0} % 4 == 0 and ({0} % 100 != 0 or {0} % 400 == 0)"]),
    ("fahrenheit", ("to_fahrenheit", "celsius_to_fahrenheit"), ("celsius",), ("int",),
     ("Convert {0} degrees Celsius to Fahrenheit.", "Return the temperature {0} (in Celsius) in Fahrenheit."),
     ["return {0} * 9 / 5 + 32"]),
    ("fizzbuzz", ("fizzbuzz", "fizz_buzz"), ("n",), ("pos",),
     ("Return 'FizzBuzz' if {0} is divisible by 15, 'Fizz' if by 3, 'Buzz' if by 5, and str({0}) otherwise.",),
     ["if {0} % 15 == 0:", "    return 'FizzBuzz'", "if {0} % 3 == 0:", "    return 'Fizz'", "if {0} % 5 == 0:",
      "    return 'Buzz'", "return str({0})"]),
    ("unique", ("unique", "remove_duplicates", "dedupe"), ("items",), ("ints",),
     ("Return the elements of {0} without duplicates, in their first order.", "Remove the duplicates from {0}."),
     ["result = []", "for x in {0}:", "    if x not in result:", "        result.append(x)", "return result"]),
    ("sorted", ("is_sorted", "in_order"), ("nums",), ("ints",),
     ("Return True if {0} is sorted in increasing order.", "Check whether the list {0} is sorted."),
     ["for i in range(len({0}) - 1):", "    if {0}[i] > {0}[i + 1]:", "        return False", "return True"]),
    ("reverse_list", ("reverse_list", "reversed_list"), ("nums",), ("ints",),
     ("Return the elements of {0} in reverse order.", "Return the list {0}, reversed."), ["return {0}[::-1]"]),
    ("collatz", ("collatz_steps", "collatz"), ("n",), ("pos",),
     ("Return how many steps of the Collatz rule (halve an even number, else triple it and add 1) take {0} to 1.",),
     ["steps = 0", "while {0} != 1:", "    if {0} % 2 == 0:", "        {0} = {0} // 2", "    else:",
      "        {0} = 3 * {0} + 1", "    steps += 1", "return steps"]),
)


def classic(rng: random.Random) -> Problem:
    key, names, args, kinds, descriptions, body = rng.choice(CLASSICS)
    name = function_name(rng, [rng.choice(names)])
    return Problem(("classic", key), name, args, kinds, rng.choice(descriptions).format(*args),
                   [line.format(*args) for line in body], core=True)
