"""What one program may use, and the resource limits (`prlimit`) that enforce it.

Time on the wall clock and the size of the output are watched for each program by the harness (`harness.py`),
and for the whole sandbox, as a backstop, by the parent (`process.py`), which also watches the memory of the
sandbox's uid; the rest are rlimits set on the process that becomes bwrap, which everything in the sandbox
inherits: CPU seconds (lowered to the program's own in each program's process) and address space per process,
processes (and threads) per uid, file size, open files, no core dumps. A sandbox runs one program at a time, so
what holds for the sandbox's uid holds for the program.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from benchhub.errors import InvalidInputError

FILE_MB = 64  # the largest file a program may write, and the size of its private /tmp (and of /dev/shm)
OPEN_FILES = 256
# Two processes run under the program's uid besides its own: bwrap's monitor and the harness (the PID namespace's init).
SANDBOX_PROCESSES = 2


@dataclass(frozen=True)
class Limits:
    """Per program: wall and CPU seconds, memory (the address space of each process; as root, where the program has
    a uid of its own, also the resident memory of all its processes together, bwrap's monitor and the harness left
    out, watched every 0.1 s), processes (and threads), and stdout+stderr bytes read (more kills the program,
    "output-limit")."""

    wall_seconds: float = 10.0
    cpu_seconds: float = 10.0
    memory_mb: int = 512
    processes: int = 16
    output_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        for name, value in self.as_dict().items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise InvalidInputError(f"Limits.{name} must be a positive number, got {value!r}; "
                                        f"the default is {getattr(Limits, name)!r}")

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def cpu_rlimit(limits: Limits) -> int:
    """RLIMIT_CPU's soft limit for `limits`, in whole seconds (the hard one is a second more)."""
    return max(1, math.ceil(limits.cpu_seconds))


def prlimit_arguments(limits: Limits, *, nproc: int) -> list[str]:
    """`prlimit` options for `limits`, `nproc` being the processes the uid may hold in all. CPU time ends with
    SIGXCPU at the limit and SIGKILL a second later (for a program that ignores SIGXCPU)."""
    cpu = cpu_rlimit(limits)
    return [f"--cpu={cpu}:{cpu + 1}", f"--as={limits.memory_mb * 1024 * 1024}", f"--nproc={nproc}",
            f"--fsize={FILE_MB * 1024 * 1024}", f"--nofile={OPEN_FILES}", "--core=0"]
