"""The README's command lines are real: every `benchhub ...` line names a command that exists, with options it
has, each given a value where it takes one. (A README that drifts from the CLI is the first thing a new user trips on.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer

from benchhub.cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_command_lines() -> list[tuple[int, str]]:
    """Each `benchhub ...` line of the README's code blocks, continuation lines joined, with its line number."""
    lines, found, in_code = README.read_text(encoding="utf-8").splitlines(), [], False
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.lstrip().startswith("```"):
            in_code = not in_code
        elif in_code and line.startswith("benchhub "):
            start, text = number + 1, line
            while text.rstrip().endswith("\\") and number + 1 < len(lines):
                number += 1
                text = text.rstrip()[:-1] + " " + lines[number].strip()
            found.append((start, text))
        number += 1
    return found


def _words(text: str) -> list[str]:
    # Optional parts are written [--slice label=refund]; placeholders as $TOKEN.
    text = re.sub(r"\[([^\]]*)\]", r"\1", text)
    return shlex.split(text, comments=True)[1:]


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    command, path = typer.main.get_command(app), []
    while hasattr(command, "list_commands") and words and not words[0].startswith("-"):
        context = type(command).context_class(command)
        sub = command.get_command(context, words[0])
        assert sub is not None, f"no command `benchhub {' '.join([*path, words[0]])}`"
        command, path, words = sub, [*path, words[0]], words[1:]
    return command, path, words


def _check(command: Any, path: list[str], words: list[str]) -> list[str]:
    options = {name: param for param in command.params for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
               if name.startswith("-")}
    problems, index = [], 0
    while index < len(words):
        word = words[index]
        index += 1
        if not word.startswith("-") or word == "-":
            continue
        name, _, inline = word.partition("=")
        param = options.get(name)
        if param is None and name not in ("--help",):
            problems.append(f"`benchhub {' '.join(path)}` has no option {name}")
            continue
        if param is None or getattr(param, "is_flag", False) or getattr(param, "count", False) or inline:
            continue
        if index >= len(words) or words[index].startswith("--"):
            problems.append(f"`benchhub {' '.join(path)} {name}` needs a value")
        index += 1
    return problems


def test_the_readme_shows_many_commands():
    lines = readme_command_lines()
    assert len(lines) > 50
    assert any(text.startswith("benchhub dataset add reviews") and "--split dev=dev.csv" in text for _, text in lines)


def test_every_readme_command_line_names_a_real_command_with_real_options():
    problems = []
    for number, text in readme_command_lines():
        try:
            command, path, words = _resolve(_words(text))
        except AssertionError as error:
            problems.append(f"README.md:{number}: {error}")
            continue
        if hasattr(command, "list_commands") and not words:
            problems.append(f"README.md:{number}: `{text}` names a group of commands, not a command")
        problems.extend(f"README.md:{number}: {problem}" for problem in _check(command, path, words))
    assert problems == []


def test_the_checker_catches_drift():
    command, path, words = _resolve(_words("benchhub leaderboard --dataset reviews --colour red --top"))
    assert path == ["leaderboard"]
    assert _check(command, path, words) == ["`benchhub leaderboard` has no option --colour",
                                            "`benchhub leaderboard --top` needs a value"]
    command, path, words = _resolve(_words("benchhub --version"))
    assert path == [] and _check(command, path, words) == []
    try:
        _resolve(_words("benchhub dataset delete reviews"))
    except AssertionError as error:
        assert "no command `benchhub dataset delete`" in str(error)
    else:
        raise AssertionError("an unknown command passed")
