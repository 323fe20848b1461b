"""Running untrusted Python programs: `find_isolation` once, then `execute` one program, `execute_all` many (one
sandbox each) or `execute_groups` many that share their tests (one sandbox a group).

    find_isolation() ──▶ Isolation("bubblewrap", "bubblewrap 0.8.0", "CPython 3.11.2 (/usr/bin/python3)")
    execute(program, limits=, isolation=) ──▶ Outcome(status, detail, seconds)
    execute_groups([[p0, p1], [q0]], limits=, isolation=) ──▶ [[Outcome, Outcome], [Outcome]]

Every group runs in a fresh bubblewrap sandbox (`bubblewrap.py`) under `Limits` (`limits.py`), as a uid of its own
when benchhub runs as root (`identities.py`), through the harness (`harness.py`): started once a group, it runs
each program in a child of its own, one at a time, under the program's own limits, and reports one verdict each.
Without a working bwrap, `find_isolation` refuses; `unsafe_no_sandbox=True` runs the same harness under the same
rlimits and uid in a plain subprocess, with a logged warning and `Isolation.kind` "none" for the record. There is
no silent fallback.

What a group may share, and what it may not. A group is the programs that share the same tests (the samples of
one problem from one model's generations), so nothing crosses problems: a sandbox receives only its group's
programs, and no program sees another problem's tests. Within a group, one program cannot change another's
outcome: the harness is the sandbox's init, which no program can signal, and not dumpable, which no program can
trace or read; each child holds only its own pipes, so a program forges at most its own verdict (as it always
could); between programs the harness kills every other process and empties the writable folders. Limits hold per
program: CPU (an rlimit set in the child), wall time (the harness kills at the limit; the hub's watch over the
sandbox, n × wall_seconds and some slack, is the backstop), output (counted by the harness, which alone reads a
child's output pipe), memory (the hub's watch over the sandbox's uid: programs run one at a time, so it is the
program's). Where a group breaks (its harness gone, or the hub's memory or wall limit met), the program that was
running gets the outcome the hub saw, as it would alone, and the others that had none run again in a fresh
sandbox; a program that breaks a sandbox it does not share is judged as it ended. No program is marked failed for
another's deed.

Which Python runs inside: the hub's own interpreter (`sys.base_prefix`, read-only, `-I -S`, its site-packages
hidden) where the sandbox's uid can reach it, else /usr/bin/python3; the first that runs a probe in the sandbox
wins, once per process, and `Isolation.python` names it. As root the hub's interpreter under /root is out of reach
of the sandbox's uid (bwrap resolves a bind's source by path, so an inherited descriptor does not help), and
Debian's /usr/bin/python3 runs the programs.

Functions and dataclasses only, all picklable: the local pool and Ray tasks call `execute`, `execute_all` or
`execute_groups` as they are; a process that has not probed yet probes on its first call, and refuses if its
isolation differs from the one given.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from benchhub.errors import InvalidInputError
from benchhub.execution import bubblewrap, identities, seccomp
from benchhub.execution.limits import (
    SANDBOX_PROCESSES,
    Limits,
    cpu_rlimit,
    prlimit_arguments,
)
from benchhub.execution.outcome import Finished, Outcome, judge
from benchhub.execution.process import run

logger = logging.getLogger(__name__)

HARNESS = (Path(__file__).with_name("harness.py")).read_text(encoding="utf-8")
SYSTEM_PYTHON = "/usr/bin/python3"
# The probe names the interpreter and the site-packages folders it has, which the sandbox then hides.
PROBE = ("import json, os, platform, site; print(json.dumps([platform.python_implementation(), "
         "platform.python_version(), [p for p in site.getsitepackages() if os.path.isdir(p)]]))")
PROBE_LIMITS = Limits(wall_seconds=20.0, cpu_seconds=10.0)
INSTALL = "install it with `apt-get install bubblewrap` (or your distribution's bubblewrap package)"
UNSAFE = ("or pass --unsafe-no-sandbox to run the programs without isolation (recorded with the results and "
          "shown on the board)")

# The group's wall limit for the hub's watch, beyond its programs' own: the sandbox's start, and the clearing
# between programs.
START_SECONDS, CLEAR_SECONDS = 5.0, 1.0
FRAME_BYTES = 1 << 16  # a frame the harness writes is a line of a few kB; a longer one is not a frame

__all__ = ["Isolation", "Limits", "Outcome", "execute", "execute_all", "execute_groups", "find_isolation"]


@dataclass(frozen=True)
class Isolation:
    """What isolated the programs: `kind` "bubblewrap" or "none" (unsafe_no_sandbox), its version, the Python."""

    kind: str
    version: str
    python: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class _Setup:
    isolation: Isolation
    prlimit: str
    setpriv: str
    bwrap: str | None  # None: no sandbox
    interpreter: str
    hidden: tuple[str, ...]
    seccomp: bytes | None = None


_setups: dict[bool, _Setup] = {}
_setups_lock = threading.Lock()


def find_isolation(*, unsafe_no_sandbox: bool = False) -> Isolation:
    """The isolation this machine gives programs: bubblewrap, probed once per process. Refuses in one line where
    bwrap is missing or cannot run a sandbox here. `unsafe_no_sandbox` gives kind "none", with a warning."""
    isolation = _setup(unsafe=unsafe_no_sandbox).isolation
    if unsafe_no_sandbox:
        logger.warning("Running programs WITHOUT a sandbox (--unsafe-no-sandbox): each runs as a plain subprocess "
                       "under rlimits only, with this machine's network and files in reach; recorded as "
                       "isolation 'none'.")
    return isolation


def execute(program: str, *, limits: Limits, isolation: Isolation) -> Outcome:
    """Runs one program in a fresh sandbox and reports how it ended; never raises for anything the program does."""
    outcomes: list[Outcome] = []
    _run_group(_checked(isolation), [program], limits, lambda index, outcome: outcomes.append(outcome))
    return outcomes[0]


def execute_all(programs: Sequence[str], *, limits: Limits, isolation: Isolation, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Runs every program, one sandbox per program, `workers` at a time (one per core by default: threads that
    each drive one sandbox); Outcomes in input order; `progress(done, total)` from the calling thread."""
    done = execute_groups([[program] for program in programs], limits=limits, isolation=isolation, workers=workers,
                          progress=progress)
    return [outcomes[0] for outcomes in done]


def execute_groups(groups: Sequence[Sequence[str]], *, limits: Limits, isolation: Isolation,
                   workers: int | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> list[list[Outcome]]:
    """Runs each group of programs that share their tests (the samples of one problem) in a sandbox of its own, the
    group's programs one after another, `workers` sandboxes at a time (one per core by default; a group is split
    where there are fewer groups than workers, never joined with another); Outcomes in the groups' shape and order;
    `progress(done, total)` once per program, from the calling thread."""
    groups = [list(group) for group in groups]
    workers = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(f"workers must be a whole number ≥ 1, got {workers!r}; leave it out for one per core")
    setup = _checked(isolation)
    outcomes: list[list[Outcome | None]] = [[None] * len(group) for group in groups]
    pieces = _pieces([(number, 0, len(group)) for number, group in enumerate(groups) if group], workers)
    total = sum(len(group) for group in groups)
    finished: queue.SimpleQueue[tuple[int, int, Outcome]] = queue.SimpleQueue()

    def piece(number: int, first: int, stop: int) -> None:
        _run_group(setup, groups[number][first:stop], limits,
                   lambda index, outcome: finished.put((number, first + index, outcome)))

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pieces))), thread_name_prefix="sandbox") as pool:
        futures = [pool.submit(piece, *where) for where in pieces]
        for done in range(1, total + 1):
            number, index, outcome = _next(finished, futures)
            outcomes[number][index] = outcome
            if progress is not None:
                progress(done, total)
    return [[outcome for outcome in group if outcome is not None] for group in outcomes]


def _next(finished: queue.SimpleQueue, futures: list[Future]) -> tuple[int, int, Outcome]:
    """The next Outcome a worker reports, or the error of a worker that failed."""
    while True:
        try:
            return finished.get(timeout=0.1)
        except queue.Empty:
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()  # type: ignore[misc]


def _pieces(pieces: list[tuple[int, int, int]], workers: int) -> list[tuple[int, int, int]]:
    """(group, first, stop) ranges: the groups whole, or halved, largest first, until every worker has one."""
    pieces = list(pieces)
    while len(pieces) < workers:
        largest = max(pieces, key=lambda piece: piece[2] - piece[1], default=None)
        if largest is None or largest[2] - largest[1] < 2:
            break
        number, first, stop = largest
        middle = (first + stop) // 2
        pieces[pieces.index(largest):pieces.index(largest) + 1] = [(number, first, middle), (number, middle, stop)]
    return pieces


def _checked(isolation: Isolation) -> _Setup:
    setup = _setup(unsafe=isolation.kind == "none")
    if setup.isolation != isolation:
        raise InvalidInputError(f"this process isolates programs with {setup.isolation.as_dict()}, not the "
                                f"{isolation.as_dict()} asked for; find_isolation() on this machine gives its own")
    return setup


def _run_group(setup: _Setup, programs: list[str], limits: Limits, report: Callable[[int, Outcome], None]) -> None:
    """Runs `programs` in one sandbox, one after another, and reports each Outcome (`report(index, outcome)`) as the
    harness frames it. Where the group breaks, the program that was running gets what the hub saw if the hub's
    limit ended it, or else runs again alone; the programs left without an Outcome run again in a fresh sandbox."""
    pending = list(range(len(programs)))
    while pending:
        current = list(pending)
        frames = _Frames(len(current), limits, lambda position, outcome: report(current[position], outcome))
        stdin = _framed([programs[index].encode("utf-8", errors="surrogatepass") for index in current])
        arguments = ["-c", HARNESS, f"{limits.wall_seconds!r}", str(cpu_rlimit(limits)), str(limits.output_bytes)]
        group_limits = replace(limits, cpu_seconds=len(current) * limits.cpu_seconds + START_SECONDS,
                               wall_seconds=len(current) * (limits.wall_seconds + CLEAR_SECONDS) + START_SECONDS)
        finished = _run(setup, arguments, stdin, group_limits, verdicts=frames.take)
        left = [position for position in range(len(current)) if position not in frames.outcomes]
        if not left:
            return
        running = frames.running if frames.running is not None and frames.running not in frames.outcomes else None
        culprit = left[0] if running is None else running
        if (running is not None and (finished.memory_over or finished.timed_out)) or len(current) == 1:
            # The hub's limit met while it ran, or a sandbox of its own that ended without its verdict: its Outcome.
            seen = replace(finished, verdict=b"", seconds=time.monotonic() - frames.started)
            report(current[culprit], judge(seen, limits, signal_offset=128 if setup.bwrap else 0))
        else:
            # The harness is gone, or could not go on: not the others' deed. The program it was running (or, between
            # programs, the next one) runs alone, and the rest in a fresh sandbox.
            _run_group(setup, [programs[current[culprit]]], limits,
                       lambda _, outcome, index=current[culprit]: report(index, outcome))
        pending = [current[position] for position in left if position != culprit]


class _Frames:
    """The harness's frames as they come: which program runs, and each one's Outcome, judged as if it ran alone.
    Only the harness holds the group's verdict pipe; a frame that does not parse is not one."""

    def __init__(self, count: int, limits: Limits, report: Callable[[int, Outcome], None]) -> None:
        self.count, self.limits, self.report = count, limits, report
        self.buffer, self.outcomes, self.running, self.started = b"", {}, None, time.monotonic()

    def take(self, chunk: bytes) -> None:
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        for line in lines:
            self._frame(line)
        if len(self.buffer) > FRAME_BYTES:
            self.buffer = b""

    def _frame(self, line: bytes) -> None:
        fields = line.split(b"\t")
        try:
            if fields[0] == b"start" and len(fields) == 2:
                if 0 <= int(fields[1]) < self.count:
                    self.running, self.started = int(fields[1]), time.monotonic()
                return
            kind, index, returncode, seconds, timed_out, output_over, verdict, last_output = fields
            finished = Finished(returncode=int(returncode), verdict=bytes.fromhex(verdict.decode("ascii")),
                                last_output=bytes.fromhex(last_output.decode("ascii")).decode("utf-8", "replace"),
                                seconds=float(seconds), timed_out=timed_out == b"1", output_over=output_over == b"1")
            position = int(index)
        except (ValueError, UnicodeError):
            return
        if kind == b"done" and 0 <= position < self.count and position not in self.outcomes:
            self.outcomes[position] = outcome = judge(finished, self.limits, signal_offset=0)
            self.report(position, outcome)


def _framed(programs: list[bytes]) -> bytes:
    """What the harness reads on stdin: the count, then each program's length and bytes."""
    return b"".join([b"%d\n" % len(programs), *(b"%d\n%s" % (len(program), program) for program in programs)])


def _run(setup: _Setup, arguments: list[str], stdin: bytes, limits: Limits, *,
         verdicts: Callable[[bytes], None] | None = None) -> Finished:
    """Runs `python -I -S arguments... VERDICT_FD` with `stdin`, sandboxed as `setup` says, under `limits`; the
    verdict pipe's bytes go to `verdicts` as they come."""
    identity = identities.claim()
    scratch = tempfile.mkdtemp(prefix="benchhub-unsafe-") if setup.bwrap is None else None
    inherit = (seccomp.memfd(setup.seccomp),) if setup.bwrap is not None and setup.seccomp is not None else ()
    try:
        launcher = _launcher(setup, identity, limits)

        def command_for(verdict_fd: int) -> list[str]:
            python = [setup.interpreter, "-I", "-S", *arguments, str(verdict_fd)]
            if setup.bwrap is None:
                return [*launcher, *python]
            return [*launcher, *bubblewrap.command(setup.bwrap, python=python, hidden=setup.hidden,
                                                   seccomp_fd=inherit[0] if inherit else None)]

        if scratch is None:
            cwd, env = "/", bubblewrap.ENVIRONMENT
        else:
            if identity.uid is not None:
                os.chown(scratch, identity.uid, identity.uid)
            cwd, env = scratch, {**bubblewrap.ENVIRONMENT, "HOME": scratch, "TMPDIR": scratch}
        return run(command_for, program=stdin, wall_seconds=limits.wall_seconds, output_bytes=limits.output_bytes,
                   cwd=cwd, env=env, inherit=inherit, verdicts=verdicts,
                   check=_memory_check(identity, limits, sandboxed=setup.bwrap is not None))
    finally:
        for fd in inherit:
            os.close(fd)
        identities.release(identity, precise=setup.bwrap is None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _launcher(setup: _Setup, identity: identities.Identity, limits: Limits) -> list[str]:
    """setpriv (SIGKILL when this thread's process dies, so that nothing outlives the hub that watches its wall
    time; the run's own uid), then prlimit (the rlimits), which execs what follows."""
    allowance = limits.processes + (SANDBOX_PROCESSES if setup.bwrap else 0)
    if identity.uid is None:  # RLIMIT_NPROC counts every task of the user, the user's own processes too
        allowance += identities.tasks_of(os.getuid())
    become = [] if identity.uid is None else [f"--reuid={identity.uid}", f"--regid={identity.uid}", "--clear-groups"]
    return [setup.setpriv, "--pdeathsig", "KILL", *become, setup.prlimit,
            *prlimit_arguments(limits, nproc=allowance), "--"]


def _memory_check(identity: identities.Identity, limits: Limits, *, sandboxed: bool) -> Callable[[int], bool] | None:
    """Whether the program's processes hold more than its memory together; only a uid of the run's own tells that.
    Left out: what runs them, the command `process.run` started (bwrap's monitor, or the harness without a sandbox)
    and, in a sandbox, the monitor's child, the harness."""
    uid = identity.uid
    if uid is None:
        return None
    return lambda pid: identities.resident_mb(uid, apart=pid, apart_children=sandboxed) > limits.memory_mb


def _setup(*, unsafe: bool) -> _Setup:
    with _setups_lock:
        if unsafe not in _setups:
            _setups[unsafe] = _probe(unsafe=unsafe)
        return _setups[unsafe]


def _probe(*, unsafe: bool) -> _Setup:
    """The first interpreter that runs the probe in this kind of sandbox, or a one-line refusal."""
    prlimit, setpriv = _tool("prlimit"), _tool("setpriv")
    bwrap = None
    if not unsafe:
        bwrap = bubblewrap.find_bwrap()
        if bwrap is None:
            raise InvalidInputError(f"Code execution runs every program in a bubblewrap sandbox, and bwrap is not "
                                    f"installed: {INSTALL}, {UNSAFE}")
    reasons = []
    for interpreter in _interpreters():
        filter_program = seccomp.program() if bwrap else None
        trial = _Setup(Isolation("none", "none", "none"), prlimit, setpriv, bwrap, interpreter, (), filter_program)
        finished = _run(trial, ["-c", PROBE], b"", PROBE_LIMITS)
        try:
            implementation, version, site_packages = json.loads(finished.last_output)
        except (ValueError, TypeError):
            reasons.append(f"{interpreter}: {finished.last_output or f'exit code {finished.returncode}'}")
            continue
        python = f"{implementation} {version} ({interpreter})"
        if bwrap is None:
            return _Setup(Isolation("none", "none", python), prlimit, setpriv, None, interpreter, ())
        version_line = bubblewrap.version(bwrap) + ("" if filter_program else " (no seccomp filter on this machine)")
        return _Setup(Isolation("bubblewrap", version_line, python), prlimit, setpriv, bwrap, interpreter,
                      tuple(site_packages), filter_program)
    if unsafe:
        raise InvalidInputError(f"No Python interpreter runs programs here: {'; '.join(reasons)}")
    raise InvalidInputError(f"bwrap is installed but cannot run a sandbox here ({'; '.join(reasons)}): check that "
                            f"user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1), or {INSTALL}, "
                            f"{UNSAFE}")


def _tool(name: str) -> str:
    """util-linux's `prlimit` or `setpriv` (Debian's util-linux is essential: always installed)."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if found is None:
        raise InvalidInputError(f"Code execution needs `{name}` (util-linux) to set its limits, and it is not "
                                f"installed: apt-get install util-linux")
    return found


def _interpreters() -> list[str]:
    """The hub's own interpreter first, then the system's."""
    own = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    found = [str(own)] if own.exists() else []
    return found + [SYSTEM_PYTHON] if SYSTEM_PYTHON not in found else found
