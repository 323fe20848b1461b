"""Command-line options that task families declare: their column roles and their settings.

A family lists what people can name and set (`Task.column_roles`, `dataset_settings`,
`evaluation_settings`); `family_options` adds one option per entry to a command, its help naming the
family, and hands the command the values given as one dict. A new family's options appear in
`dataset add`, `eval` and `optimize` without an edit here. An option two families declare alike (same
name and type) is one option; the family of the dataset then says whether it applies.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional, TypeVar

import typer

from benchhub.tasks.base import FamilyOption
from benchhub.tasks.registry import TASKS

F = TypeVar("F", bound=Callable[..., Any])
KINDS = ("columns", "dataset", "evaluation")


def declared(kind: str) -> dict[str, tuple[FamilyOption, list[str]]]:
    """Every option of `kind` the registered families declare, by parameter name, with the families'
    titles; columns are named `ROLE_column` (option `--ROLE-column`)."""
    found: dict[str, tuple[FamilyOption, list[str]]] = {}
    for task in TASKS.values():
        options = {"columns": task.column_roles, "dataset": task.dataset_settings,
                   "evaluation": task.evaluation_settings}[kind]
        for option in options:
            if kind == "columns":
                option = FamilyOption(f"{option.name}_column", option.help, option.type)
            known = found.get(option.name)
            if known is not None and known[0].type is not option.type:
                raise TypeError(f"{option.flag} is declared as {known[0].type.__name__} and {option.type.__name__}; "
                                "families that share an option must agree on its type.")
            found.setdefault(option.name, (option, []))[1].append(task.title)
    return found


def family_options(*kinds: str, into: str = "family") -> Callable[[F], F]:
    """Adds the families' options of `kinds` to a typer command; the command receives the values given
    (None left out) as the keyword `into`, by parameter name (`tokens_column`, `scheme`, `doc_stride`)."""
    options = {name: entry for kind in kinds for name, entry in declared(kind).items()}

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != into]
        clash = sorted(set(options) & {p.name for p in own})
        if clash:
            raise TypeError(f"{command.__name__} already has the family option {clash[0]!r}.")
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
                Optional[_annotation(option)], typer.Option(_flags(option), help=f"{' and '.join(titles)}: {option.help}",
                                                    metavar="<str>" if option.type is list else None,
                                                    show_default=False)])
            for name, (option, titles) in options.items()
        ]

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in options if name in kwargs}
            return command(*args, **kwargs, **{into: {k: v for k, v in given.items() if v is not None}})

        run.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        run.__annotations__ = {**{p.name: p.annotation for p in own}, **{p.name: p.annotation for p in added}}
        del run.__wrapped__  # typer reads the signature above, not the command's own
        return run  # type: ignore[return-value]

    return decorate


def _annotation(option: FamilyOption) -> Any:
    """The option's type for typer: a list setting takes the option once per value (`--stop A --stop B`)."""
    return list[str] if option.type is list else option.type


def _flags(option: FamilyOption) -> str:
    """The option's flag; a true-or-false setting also gets its `--no-` form (`--use-stemmer/--no-use-stemmer`)."""
    return f"{option.flag}/--no-{option.flag[2:]}" if option.type is bool else option.flag


def split_columns(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values of `family_options("columns", "dataset")` as (role -> column, setting -> value)."""
    columns = {name.removesuffix("_column"): value for name, value in given.items() if name.endswith("_column")}
    return columns, {name: value for name, value in given.items() if not name.endswith("_column")}
