"""Who a sandbox runs as: when benchhub runs as root, one dedicated uid per concurrent run.

The kernel does not count processes against RLIMIT_NPROC for root (INIT_USER and CAP_SYS_RESOURCE are exempt),
so as root a fork bomb is bounded only under another uid. Each run claims a free uid of its own from
FIRST_UID .. FIRST_UID + SLOTS - 1, the next one in turn (a lock file per uid under LOCK_FOLDER coordinates
processes; a set, the threads of one), so one program's processes never count against another's. These uids own
no files and no other process: when a run ends, whatever still runs under its uid is killed (`sweep`), so nothing
a program started outlives it, whatever it did to its session or process group. bwrap's init exits after bwrap
itself and is reaped by this machine's init, a moment later; until then its zombie counts against its uid, which
the rotation leaves alone for thousands of runs (and the next run's limit adds what the uid still holds).

Not root, a run keeps the user's uid (bwrap then makes a user namespace): RLIMIT_NPROC counts all the user's
processes, so the limit becomes what the user already runs (`tasks_of`) plus the program's allowance, which
bounds a fork bomb but shares the count with the user's other processes, and nothing is swept.
"""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

FIRST_UID = 0x70000000  # above the ranges systemd and container tools allocate
SLOTS = 4096
LOCK_FOLDER = Path("/run/benchhub-sandbox")
SWEEP_SECONDS = 2.0

_claimed: set[int] = set()
_next: int | None = None  # the slot to try next: runs rotate through the uids, so a uid's zombies are long reaped
_lock = threading.Lock()


@dataclass(frozen=True)
class Identity:
    """The uid and gid a run uses (None: the current user's) and its claim's lock file."""

    uid: int | None
    lock_fd: int | None = None


def as_root() -> bool:
    return os.geteuid() == 0


def claim() -> Identity:
    """A uid no other run holds (as root), or the current user."""
    if not as_root():
        return Identity(None)
    global _next
    LOCK_FOLDER.mkdir(mode=0o700, parents=True, exist_ok=True)
    for _ in range(SLOTS):
        with _lock:
            if _next is None:
                _next = os.getpid() * 7919 % SLOTS
            uid, _next = FIRST_UID + _next, (_next + 1) % SLOTS
            if uid in _claimed:
                continue
            fd = os.open(LOCK_FOLDER / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            _claimed.add(uid)
        return Identity(uid, fd)
    raise RuntimeError(f"all {SLOTS} sandbox uids are in use")


def release(identity: Identity) -> None:
    """Sweeps the uid's processes, then frees it."""
    if identity.uid is None:
        return
    try:
        sweep(identity.uid)
    finally:
        with _lock:
            _claimed.discard(identity.uid)
            if identity.lock_fd is not None:
                os.close(identity.lock_fd)


@dataclass(frozen=True)
class Task:
    """A process as /proc/PID/status shows it (its uids there are right where the owner of /proc/PID is not:
    a process that made itself non-dumpable shows root as that owner)."""

    pid: int
    real_uid: int
    effective_uid: int
    zombie: bool
    threads: int


def tasks() -> list[Task]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields: dict[bytes, bytes] = {}
        try:
            with open(f"/proc/{entry.name}/status", "rb") as status:
                for line in status:
                    key, _, value = line.partition(b":")
                    fields[key] = value
                    if key == b"Threads":
                        break
            uids = fields[b"Uid"].split()
            found.append(Task(int(entry.name), int(uids[0]), int(uids[1]), fields[b"State"].split()[0] in (b"Z", b"X"),
                              int(fields[b"Threads"])))
        except (FileNotFoundError, ProcessLookupError, KeyError, IndexError, ValueError):
            continue
    return found


def tasks_of(uid: int) -> int:
    """What RLIMIT_NPROC counts for `uid` now: its processes and their threads, zombies not yet reaped included."""
    return sum(task.threads for task in tasks() if task.real_uid == uid)


def sweep(uid: int) -> None:
    """Kills every live process of `uid` until none is left (a dying PID namespace takes a moment to empty). A
    zombie is left to whoever reaps it: bwrap's init, whose parent exits first, is reaped by this machine's init."""
    deadline = time.monotonic() + SWEEP_SECONDS
    while live := [task.pid for task in tasks() if uid in (task.real_uid, task.effective_uid) and not task.zombie]:
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of sandbox uid {uid} survive SIGKILL: {live[:5]}")
        time.sleep(0.005)
