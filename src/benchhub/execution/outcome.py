"""How a program ended (`Outcome`), judged from its verdict, its exit status and the limits enforced on it.

"passed" needs both the verdict "passed" and exit code 0; without a verdict the exit status decides (a signal is
"killed", SIGXCPU a CPU "timeout"); a limit the harness or the parent enforced (wall time, output, memory) wins
over both.
"""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass
from typing import Any

from benchhub.execution.limits import FILE_MB, Limits

STATUSES = ("passed", "failed", "error", "timeout", "memory", "output-limit", "killed")
HARNESS_STATUSES = ("passed", "failed", "error", "memory")  # what the harness itself reports
DETAIL_CHARS = 300


@dataclass(frozen=True)
class Outcome:
    """`status` is one of STATUSES; `detail` one line ("" when passed), e.g. "AssertionError: line 12: assert
    candidate(3) == 4", "ZeroDivisionError: division by zero", "timed out after 10 s (wall)"."""

    status: str
    detail: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Finished:
    """What was seen of one run, by the harness for a program (its frame) or by the parent for a sandbox: the exit
    status (a negative number is the signal that ended the process, as `subprocess` reports it), the verdict line,
    the output's last line, and which limits were enforced."""

    returncode: int
    verdict: bytes
    last_output: str
    seconds: float
    timed_out: bool = False
    output_over: bool = False
    memory_over: bool = False


def one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS - 1] + "…"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def judge(finished: Finished, limits: Limits, *, signal_offset: int) -> Outcome:
    """The Outcome of `finished`. bwrap reports a program killed by signal N as exit code 128 + N (`signal_offset`
    128); a plain subprocess as -N (`signal_offset` 0)."""
    seconds = round(finished.seconds, 4)
    if finished.output_over:
        return Outcome("output-limit", f"output over the limit of {limits.output_bytes:,} bytes", seconds)
    if finished.memory_over:
        return Outcome("memory", f"killed: its processes held over {limits.memory_mb:,} MB together", seconds)
    if finished.timed_out:
        return Outcome("timeout", f"timed out after {limits.wall_seconds:g} s (wall)", seconds)
    verdict = _verdict(finished.verdict)
    code = finished.returncode
    if verdict is not None:
        status, detail = verdict
        if status == "passed" and code != 0:
            return Outcome("error", one_line(f"exited with code {code} after its tests passed"), seconds)
        return Outcome(status, one_line(detail), seconds)
    killed_by = -code if code < 0 else code - 128 if signal_offset and 128 < code < 128 + 65 else None
    if killed_by == signal.SIGXCPU:
        return Outcome("timeout", f"over the CPU time limit of {limits.cpu_seconds:g} s", seconds)
    if killed_by == signal.SIGKILL and finished.seconds >= limits.cpu_seconds:
        # The hard CPU limit, a second past the soft one, for a program that ignored SIGXCPU (nothing else of
        # ours sends SIGKILL without saying so; a program that SIGKILLs itself that late is read the same).
        return Outcome("timeout", f"over the CPU time limit of {limits.cpu_seconds:g} s (SIGKILL at the hard limit)",
                       seconds)
    if killed_by == signal.SIGXFSZ:
        return Outcome("killed", f"killed by SIGXFSZ: a file over the limit of {FILE_MB} MB", seconds)
    if killed_by is not None:
        if "MemoryError" in finished.last_output:
            return Outcome("memory", one_line(f"killed by {_signal_name(killed_by)}: {finished.last_output}"), seconds)
        return Outcome("killed", f"killed by {_signal_name(killed_by)}", seconds)
    last = f": {finished.last_output}" if finished.last_output else ""
    return Outcome("error", one_line(f"exited with code {code} before its verdict{last}"), seconds)


def _verdict(lines: bytes) -> tuple[str, str] | None:
    """(status, detail) from the harness's first verdict line, `STATUS<TAB>DETAIL`, or None when there is none or
    it is malformed."""
    first, newline, _ = lines.partition(b"\n")
    status, tab, detail = first.decode("utf-8", errors="replace").partition("\t")
    if not newline or not tab or status not in HARNESS_STATUSES:
        return None
    return status, detail
