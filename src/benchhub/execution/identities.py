"""Who a sandbox runs as: when benchhub runs as root, one dedicated uid per concurrent run.

The kernel does not count processes against RLIMIT_NPROC for root (INIT_USER and CAP_SYS_RESOURCE are exempt),
so as root a fork bomb is bounded only under another uid. Each run claims a free uid of its own from
FIRST_UID .. FIRST_UID + SLOTS - 1, the next one in turn (a lock file per uid under LOCK_FOLDER coordinates
processes; a set, the threads of one), so one program's processes never count against another's. These uids own
no files and no other process: when a run ends, whatever still runs under its uid is killed (`sweep`), so nothing
a program started outlives it, whatever it did to its session or process group. bwrap's init exits after bwrap
itself and is reaped by this machine's init, a moment later; until then its zombie counts against its uid, which
the rotation leaves alone for thousands of runs.

Not root, a run keeps the user's uid (bwrap then makes a user namespace): RLIMIT_NPROC counts all the user's
processes, so the limit becomes what the user already runs (`tasks_of`) plus the program's allowance, which
bounds a fork bomb but shares the count with the user's other processes, and nothing is swept.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

FIRST_UID = 0x70000000  # above the ranges systemd and container tools allocate
SLOTS = 4096
LOCK_FOLDER = Path("/run/benchhub-sandbox")
SWEEP_SECONDS = 2.0
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")

_claimed: set[int] = set()
_fds: dict[int, int] = {}  # the lock file descriptor of every claimed uid
_to_sweep: queue.SimpleQueue[Identity] = queue.SimpleQueue()
_sweeper: threading.Thread | None = None
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
            _fds[uid] = fd
        return Identity(uid, fd)
    raise RuntimeError(f"all {SLOTS} sandbox uids are in use")


def release(identity: Identity, *, precise: bool) -> None:
    """Sweeps the uid's processes (`live_pids`), then frees it: at once where `precise` (a plain subprocess, whose
    leftovers only the sweep stops), else in the background (a sandbox's leftovers are dying with their PID
    namespace already; the run need not wait the milliseconds that takes)."""
    global _sweeper
    if identity.uid is None:
        return
    if precise:
        _release(identity, precise=True)
        return
    with _lock:
        if _sweeper is None:
            _sweeper = threading.Thread(target=_sweep_forever, name="sandbox-sweeper", daemon=True)
            _sweeper.start()
    _to_sweep.put(identity)


def _release(identity: Identity, *, precise: bool) -> None:
    try:
        sweep(identity.uid, precise=precise)  # type: ignore[arg-type]
    finally:
        with _lock:
            _claimed.discard(identity.uid)  # type: ignore[arg-type]
            if _fds.pop(identity.uid, None) is not None and identity.lock_fd is not None:  # type: ignore[arg-type]
                os.close(identity.lock_fd)


def _sweep_forever() -> None:
    while True:
        identity = _to_sweep.get()
        try:
            _release(identity, precise=False)
        except Exception:  # noqa: BLE001 - an unkillable leftover keeps its uid claimed; the sweeper goes on
            logger.exception("could not sweep sandbox uid %s", identity.uid)


def _forget_after_fork() -> None:
    """A forked child has no sweeper thread and claims nothing; the lock files its parent holds stay the parent's."""
    global _sweeper, _to_sweep, _lock
    _sweeper, _to_sweep, _lock = None, queue.SimpleQueue(), threading.Lock()
    for fd in list(_fds.values()):
        try:
            os.close(fd)
        except OSError:
            pass
    _fds.clear()
    _claimed.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


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


def live_pids(uid: int, *, precise: bool) -> list[int]:
    """The live processes of `uid`. `precise` reads every /proc/PID/status (a process that made itself non-dumpable
    shows root as the owner of /proc/PID); otherwise the owner is enough, as it is for a sandbox's processes, which
    die with their PID namespace whatever they made themselves."""
    if precise:
        return [task.pid for task in tasks() if uid in (task.real_uid, task.effective_uid) and not task.zombie]
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    if stat.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X"):
                        found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def resident_mb(uid: int, *, apart: int | None = None, apart_children: bool = False) -> float:
    """The resident memory of `uid`'s processes together (pages two of them share count twice), but for the process
    `apart` and, with `apart_children`, its children: the sandbox's own (bwrap's monitor and the harness)."""
    pages = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                pid = int(entry.name)
                if apart is not None and (pid == apart or apart_children and _parent(pid) == apart):
                    continue
                with open(f"/proc/{entry.name}/statm", "rb") as statm:
                    pages += int(statm.read().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return pages * PAGE_BYTES / (1024 * 1024)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return int(stat.read().rpartition(b")")[2].split()[1])


def sweep(uid: int, *, precise: bool) -> None:
    """Kills every live process of `uid` until none is left (a dying PID namespace takes a moment to empty). A
    zombie is left to whoever reaps it: bwrap's init, whose parent exits first, is reaped by this machine's init."""
    deadline = time.monotonic() + SWEEP_SECONDS
    while live := live_pids(uid, precise=precise):
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of sandbox uid {uid} survive SIGKILL: {live[:5]}")
        time.sleep(0.005)
