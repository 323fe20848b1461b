"""Running every completion's program through the sandbox (`benchhub.execution.sandbox`), one worker per core.

Each completion of each problem becomes one program (`problems.program`); each problem's pending programs make
one group, which shares one sandbox (its programs share their tests, and nothing of another problem's reaches
it), and all groups go to `execute_groups` at once; each sample's outcome comes back as a dict (status, detail,
seconds). Completions whose outcomes are known already (stored rows re-scored) are not run again.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from benchhub.data.records import Split
from benchhub.progress import Progress
from benchhub.tasks.code_generation.generations import Attempts
from benchhub.tasks.code_generation.problems import ENTRY_POINT, TESTS, program
from benchhub.tasks.code_generation.settings import UNSAFE, execution_settings


def executed(split: Split, attempts: Sequence[Attempts], settings: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Each problem's sample outcomes, in completion order, and how they ran ({"isolation", "limits"}; empty when
    nothing had to run)."""
    tests, entry_points = split.field(TESTS) or [], split.field(ENTRY_POINT) or []
    pending = [(p, i) for p, a in enumerate(attempts) if a.outcomes is None for i in range(len(a.completions))]
    outcomes: list[list[dict[str, Any]]] = [list(a.outcomes) if a.outcomes is not None else [{}] * len(a.completions)
                                            for a in attempts]
    if not pending:
        return outcomes, {}
    from benchhub.execution.sandbox import Limits, execute_groups, find_isolation

    chosen = execution_settings(settings)
    isolation = find_isolation(unsafe_no_sandbox=chosen["isolation"] == UNSAFE)  # logs a warning when unsafe
    seconds = float(chosen["wall_seconds"])
    limits = Limits(wall_seconds=seconds, cpu_seconds=seconds, memory_mb=int(chosen["memory_mb"]))
    groups: dict[int, list[int]] = {}  # problem: its pending completions
    for p, i in pending:
        groups.setdefault(p, []).append(i)
    programs = [[program(split.texts[p], attempts[p].completions[i], tests[p], entry_points[p]) for i in completions]
                for p, completions in groups.items()]
    # A bar on a terminal's stderr only (scoring has no --quiet of its own); jobs observe it either way.
    with Progress("executing programs", len(pending), enabled=sys.stderr.isatty()) as progress:
        done = execute_groups(programs, limits=limits, isolation=isolation,
                              progress=lambda finished, total: progress.advance(finished - progress.done))
    for (p, completions), problem_outcomes in zip(groups.items(), done, strict=True):
        for i, outcome in zip(completions, problem_outcomes, strict=True):
            outcomes[p][i] = _plain(outcome.as_dict())
    return outcomes, {"isolation": isolation.as_dict(), "limits": limits.as_dict()}


def _plain(outcome: dict[str, Any]) -> dict[str, Any]:
    """An outcome as a stored row keeps it: status, detail and seconds (rounded)."""
    return {"status": str(outcome["status"]), "detail": str(outcome.get("detail") or ""),
            "seconds": round(float(outcome.get("seconds") or 0.0), 4)}
