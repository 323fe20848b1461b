"""Running a function in a process of its own, watched against a time and a memory limit.

    start (forked, own process group) ──▶ watch every WATCH_SECONDS ──▶ ended by itself (exit code)
                                               └──▶ over the time or memory limit, or `check` said stop ──▶ the group is killed

The processes fork from a server process (multiprocessing's forkserver) that has imported what they need once
(`PRELOAD`: benchhub's evaluation path, scikit-learn, torch, transformers), so each starts in milliseconds, not
a fresh interpreter's seconds; that server holds no database connection and no thread of the caller's. The
child should call `own_process_group()` first, so that killing the group also stops whatever it started, and
`worker_alive(pid)` tells it whether the process that watches it still runs (its parent is the fork server).
Memory is what the child and its descendants hold of their own (private pages, from /proc): the pages they
share with the fork server cost nothing more. The watch keeps its peak. Evaluation jobs (`evaluation.job_process`)
and model submissions (`competitions.model_scoring`) both run this way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

WATCH_SECONDS = 0.2  # how often the watcher looks at memory and time
# What the fork server imports once for every process (a module that is not installed is skipped).
PRELOAD = ["benchhub.evaluation.job_process", "benchhub.evaluation.evaluations", "benchhub.catalog.loading",
           "benchhub.competitions.model_scoring", "benchhub.store.database", "sklearn.linear_model",
           "sklearn.feature_extraction.text", "torch", "transformers"]
_context: multiprocessing.context.BaseContext | None = None


@dataclass(frozen=True)
class Stop:
    """Why the watcher stopped the process: `kind` is "time", "memory" or what a `check` gave, with a one-line reason."""

    kind: str
    reason: str


@dataclass(frozen=True)
class Ended:
    """How the process ended: by itself (`stop` None, with its exit code) or stopped by the watcher."""

    exitcode: int | None
    stop: Stop | None
    peak_memory_mb: float
    seconds: float


def run_limited(target: Callable[..., Any], args: tuple[Any, ...], *, time_limit_seconds: float, memory_limit_mb: float,
                name: str, check: Callable[[float], Stop | None] | None = None,
                time_limit_applies: Callable[[], bool] | None = None, whose: str = "the") -> Ended:
    """Runs `target(*args)` in a process of its own until it ends or breaks a limit; `check(elapsed)` is asked at every
    watch and may stop it too (cancelled, lease lost). `time_limit_applies()` False lifts the time limit from then on.
    `whose` names the limits' owner in the reasons ("the job's": "over the job's limit of 1,024 MB")."""
    process = fork_server().Process(target=target, args=args, daemon=False, name=name)
    process.start()
    started = time.monotonic()
    peak, stop = 0.0, None
    while stop is None:
        process.join(WATCH_SECONDS)
        if process.exitcode is not None:
            break
        elapsed = time.monotonic() - started
        memory = group_memory_mb(process.pid)
        peak = max(peak, memory)
        if memory > memory_limit_mb:
            stop = Stop("memory", f"it used {memory:,.0f} MB of memory, over {whose} limit of {memory_limit_mb:,} MB")
        elif elapsed > time_limit_seconds and (time_limit_applies is None or time_limit_applies()):
            stop = Stop("time", f"it ran longer than {whose} time limit of {time_limit_seconds:,} s")
        elif check is not None:
            stop = check(elapsed)
    if stop is not None:
        kill_group(process)
    return Ended(process.exitcode, stop, peak, time.monotonic() - started)


def fork_server() -> multiprocessing.context.BaseContext:
    """The multiprocessing context whose processes fork from the preloaded server (started with the first one)."""
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


def own_process_group() -> None:
    """Makes the calling process the leader of a process group of its own (call it first in the child)."""
    os.setpgid(0, 0)


def worker_alive(pid: int) -> bool:
    """Whether the process `pid` still runs (a killed one may linger as a zombie until its parent reaps it)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, PermissionError):  # gone, or another user's process has the number now
        return False
    except (OSError, IndexError):
        return True  # no /proc to tell: os.kill said it exists
    return state not in ("Z", "X")


def own_memory_mb() -> float | None:
    """The memory the calling process holds of its own now, in MB: what a child too quick for the watch used at its end
    (a lower bound of its peak)."""
    return private_mb(os.getpid())


def group_memory_mb(pid: int) -> float:
    """Memory `pid` and its descendants hold of their own (private pages), in MB (0 where /proc cannot tell)."""
    total, seen, pending = 0.0, set(), [pid]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += private_mb(current) or 0.0
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def private_mb(pid: int) -> float | None:
    """`Private_Clean` + `Private_Dirty` of /proc/PID/smaps_rollup, in MB; None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as rollup:
            kilobytes = sum(int(line.split()[1]) for line in rollup if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except (OSError, ValueError, IndexError):
        return None
    return kilobytes / 1024.0


def kill_group(process: multiprocessing.process.BaseProcess) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.join(10)
