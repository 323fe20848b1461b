"""Running untrusted Python programs: `find_isolation` once, then `execute` one program or `execute_all` many.

    find_isolation() ──▶ Isolation("bubblewrap", "bubblewrap 0.8.0", "CPython 3.11.2 (/usr/bin/python3)")
    execute(program, limits=, isolation=) ──▶ Outcome(status, detail, seconds)

Every program runs in a fresh bubblewrap sandbox (`bubblewrap.py`) under `Limits` (`limits.py`), as a uid of
its own when benchhub runs as root (`identities.py`), through the harness (`harness.py`), which exec()s it and
reports a verdict. Without a working bwrap, `find_isolation` refuses; `unsafe_no_sandbox=True` runs the same
harness under the same rlimits and uid in a plain subprocess, with a logged warning and `Isolation.kind` "none"
for the record. There is no silent fallback.

Which Python runs inside: the hub's own interpreter (`sys.base_prefix`, read-only, `-I -S`, its site-packages
hidden) where the sandbox's uid can reach it, else /usr/bin/python3; the first that runs a probe in the sandbox
wins, once per process, and `Isolation.python` names it. As root the hub's interpreter under /root is out of reach
of the sandbox's uid (bwrap resolves a bind's source by path, so an inherited descriptor does not help), and
Debian's /usr/bin/python3 runs the programs.

Functions and dataclasses only, all picklable: the local pool and Ray tasks call `execute` as is; a process that
has not probed yet probes on its first `execute`, and refuses if its isolation differs from the one given.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from benchhub.errors import InvalidInputError
from benchhub.execution import bubblewrap, identities, seccomp
from benchhub.execution.limits import SANDBOX_PROCESSES, Limits, prlimit_arguments
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

__all__ = ["Isolation", "Limits", "Outcome", "execute", "execute_all", "find_isolation"]


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
    setup = _setup(unsafe=isolation.kind == "none")
    if setup.isolation != isolation:
        raise InvalidInputError(f"this process isolates programs with {setup.isolation.as_dict()}, not the "
                                f"{isolation.as_dict()} asked for; find_isolation() on this machine gives its own")
    return judge(_run(setup, ["-c", HARNESS], program.encode("utf-8", errors="surrogatepass"), limits), limits,
                 signal_offset=128 if setup.bwrap else 0)


def execute_all(programs: Sequence[str], *, limits: Limits, isolation: Isolation, workers: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Runs every program, one sandbox per program, `workers` at a time (one per core by default: threads that
    each drive one sandbox); Outcomes in input order; `progress(done, total)` from the calling thread."""
    programs = list(programs)
    workers = (os.cpu_count() or 1) if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(f"workers must be a whole number ≥ 1, got {workers!r}; leave it out for one per core")
    _setup(unsafe=isolation.kind == "none")
    outcomes: list[Outcome | None] = [None] * len(programs)
    with ThreadPoolExecutor(max_workers=min(workers, max(1, len(programs))), thread_name_prefix="sandbox") as pool:
        futures = {pool.submit(execute, program, limits=limits, isolation=isolation): index
                   for index, program in enumerate(programs)}
        for done, future in enumerate(as_completed(futures), start=1):
            outcomes[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(programs))
    return [outcome for outcome in outcomes if outcome is not None]


def _run(setup: _Setup, arguments: list[str], stdin: bytes, limits: Limits) -> Finished:
    """Runs `python -I -S arguments... VERDICT_FD` with `stdin`, sandboxed as `setup` says, under `limits`."""
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
                   cwd=cwd, env=env, inherit=inherit, check=_memory_check(identity, limits))
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


def _memory_check(identity: identities.Identity, limits: Limits) -> Callable[[], bool] | None:
    """Whether the run's processes hold more than its memory together; only a uid of the run's own tells that."""
    uid = identity.uid
    if uid is None:
        return None
    return lambda: identities.resident_mb(uid) > limits.memory_mb


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
