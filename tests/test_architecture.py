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


# --- layers -------------------------------------------------------------------------------------------

# Top to bottom (docs/architecture.md): a module may import its own layer and the layers below it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("shells", frozenset({"cli", "server", "__main__"})),
    ("use cases", frozenset({"hub", "demo", "catalog", "evaluation", "ranking", "inspection", "competitions", "accounts"})),
    ("engine", frozenset({"engine", "optimize", "report", "executors"})),
    ("task families", frozenset({"tasks"})),
    ("foundations", frozenset({"models", "data", "metrics", "probes", "execution", "results", "units", "naming", "progress"})),
    ("store", frozenset({"store"})),
    ("base", frozenset({"errors", "config", "_version"})),
)
# Within the foundations, data/ and metrics/ import only the base (they are what everything else reads).
BASE_ONLY = frozenset({"data", "metrics"})


def _part(module: str) -> str:
    """The top-level part of `benchhub.x.y` ("x"); the package itself is "__init__"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(part: str) -> int:
    for index, (_, parts) in enumerate(LAYERS):
        if part in parts:
            return index
    raise AssertionError(f"benchhub/{part} is in no layer of tests/test_architecture.py; place it in one")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in SOURCES}


def imports_of(path: Path) -> set[str]:
    """The benchhub modules a file imports, lazy imports inside functions included (`from a import b` names a.b
    when that is a module, else a)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "benchhub" and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "benchhub")
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a module into a layer above its own (or of the package itself)."""
    upward = []
    for module, targets in graph.items():
        part = _part(module)
        if part == "__init__":  # the package's public API re-exports the Hub and result types
            continue
        for target in targets:
            to = _part(target)
            if to == "__init__":
                upward.append(f"{module} imports the package benchhub itself; import the module it needs")
            elif _layer(to) < _layer(part):
                upward.append(f"{module} ({LAYERS[_layer(part)][0]}) imports {target} ({LAYERS[_layer(to)][0]})")
            elif part in BASE_ONLY and to != part and _layer(to) != len(LAYERS) - 1:
                upward.append(f"{module} imports {target}; {part}/ imports only errors and config")
    return upward


def test_every_module_imports_only_its_own_layer_and_those_below():
    assert upward_imports(GRAPH) == []


def test_no_import_cycles_between_modules():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in MODULES:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert cycles == []


def test_no_two_use_case_folders_import_each_other():
    folders = LAYERS[1][1]
    edges = {(_part(module), _part(target)) for module, targets in GRAPH.items() for target in targets
             if _part(module) in folders and _part(target) in folders and _part(module) != _part(target)}
    assert sorted(edge for edge in edges if edge[::-1] in edges) == []


def test_the_engine_never_imports_sqlalchemy_and_nothing_imports_the_shells():
    sqlalchemy = [module for module in MODULES if _part(module) == "engine"
                  and any(isinstance(node, (ast.Import, ast.ImportFrom)) and "sqlalchemy" in ast.dump(node)
                          for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))))]
    shells = LAYERS[0][1]
    into_shells = [f"{module} -> {target}" for module, targets in GRAPH.items() for target in targets
                   if _part(target) in shells and _part(module) not in shells]
    assert sqlalchemy == [] and into_shells == []


def test_the_layer_check_catches_an_upward_import(tmp_path):
    # A data module that reaches up into a task family is what the check exists to refuse.
    planted = tmp_path / "planted.py"
    planted.write_text("from benchhub.tasks.registry import TASKS\n")
    targets = imports_of(planted)
    assert targets == {"benchhub.tasks.registry"}
    assert upward_imports({"benchhub.data.planted": targets}) == [
        "benchhub.data.planted (foundations) imports benchhub.tasks.registry (task families)"]
    assert upward_imports({"benchhub.data.planted": {"benchhub.models.base"}}) == [
        "benchhub.data.planted imports benchhub.models.base; data/ imports only errors and config"]
