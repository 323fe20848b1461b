"""The shape of the code: task families are the unit, and the layers of docs/architecture.md hold.

- No code outside `tasks/` names a task family: no string literal equal to a registered family's name
  (docstrings aside), and no `qa_` module outside `tasks/question_answering/`.
- Each layer imports only the layers below it (module-level imports; lazy imports inside functions
  count too, since they are still dependencies), and no two packages import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import benchhub
from benchhub.tasks.registry import TASKS

PACKAGE = Path(benchhub.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
TEMPLATES = sorted((PACKAGE / "server" / "templates").glob("*.html"))


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _outside_tasks(path: Path) -> bool:
    return not _relative(path).startswith("tasks/")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def task_name_literals(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    names = set(TASKS)
    return [
        f"{path.relative_to(root).as_posix()}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        and any(name in node.value for name in names)
    ]


def test_no_code_outside_tasks_names_a_task_family():
    found = [hit for path in SOURCES if _outside_tasks(path) for hit in task_name_literals(path)]
    found += [f"{_relative(path)}: names a task family" for path in TEMPLATES
              if any(name in path.read_text(encoding="utf-8") for name in TASKS)]
    assert found == []


def test_the_literal_check_finds_a_comparison_with_a_family_name(tmp_path):
    # The check itself must be able to fail: a branch on a family's name is what it looks for.
    planted = tmp_path / "planted.py"
    planted.write_text('"""Docstrings may say question-answering."""\n\ndef f(task):\n    return task == "question-answering"\n')
    assert task_name_literals(planted, root=tmp_path) == ["planted.py:4: 'question-answering'"]


def test_question_answering_modules_live_in_their_family_folder():
    stray = [_relative(path) for path in SOURCES
             if path.name.startswith("qa_") and not _relative(path).startswith("tasks/question_answering/")]
    assert stray == []
