"""Running a function in a spawned process of its own, watched against a time and a memory limit.

    start (spawn, own process group) ──▶ watch every WATCH_SECONDS ──▶ ended by itself (exit code)
                                              └──▶ over the time or memory limit, or `check` said stop ──▶ the group is killed

The child should call `own_process_group()` first, so that killing the group also stops whatever it started.
Memory is the resident memory of the child and all its descendants, read from /proc; the watch keeps its peak.
Evaluation jobs (`evaluation.job_process`) and model submissions (`competitions.model_scoring`) both run this way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

WATCH_SECONDS = 0.2  # how often the watcher looks at memory and time


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
    """Runs `target(*args)` in a spawned process until it ends or breaks a limit; `check(elapsed)` is asked at every
    watch and may stop it too (cancelled, lease lost). `time_limit_applies()` False lifts the time limit from then on.
    `whose` names the limits' owner in the reasons ("the job's": "over the job's limit of 1,024 MB")."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=False, name=name)
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


def own_process_group() -> None:
    """Makes the calling process the leader of a process group of its own (call it first in the child)."""
    os.setpgid(0, 0)


def group_memory_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, in MB (0 where /proc cannot tell)."""
    total, seen, pending = 0.0, set(), [pid]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024.0
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def kill_group(process: multiprocessing.process.BaseProcess) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.join(10)
