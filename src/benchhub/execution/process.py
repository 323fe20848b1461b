"""One run of a command that executes a group of programs: spawned, read within its bounds, killed whole at a limit.

The programs go in on stdin (a memfd, never a file in a shared folder); stdout and stderr share one pipe, of
which the parent reads at most the output limit and keeps the last line; the verdicts come on a second pipe,
whose descriptor number the command line names, and go to `verdicts` as they come. The command runs in a session
and process group of its own; at the wall-time or output limit, or when `check` says its memory is over, the
group is killed with SIGKILL (under bwrap that is bwrap itself, whose sandbox init, the harness, dies with it, and
with the init its PID namespace). The run ends when the command's process exits
(a pidfd says when), not when the pipes close, so a descendant that keeps them open cannot hold the parent.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping

from benchhub.execution.outcome import Finished

WATCH_SECONDS = 0.1  # how often `check` is asked
READ_BYTES = 1 << 16
TAIL_BYTES = 4096
VERDICT_BYTES = 4096


def run(command_for: Callable[[int], list[str]], *, program: bytes, wall_seconds: float, output_bytes: int, cwd: str,
        env: Mapping[str, str], inherit: tuple[int, ...] = (), check: Callable[[int], bool] | None = None,
        verdicts: Callable[[bytes], None] | None = None) -> Finished:
    """Runs `command_for(verdict_fd)` with `program` on stdin (and the descriptors `inherit`) and reports what it saw;
    `check(pid)`, asked every WATCH_SECONDS with the command's process id, True stops it for memory;
    `verdicts(chunk)` takes what the verdict pipe gives as it comes (else its first VERDICT_BYTES are kept in the
    Finished). The command changes its own uid (setpriv) where it needs to, so that `subprocess` may vfork: forking
    a hub that holds a model would copy its page tables for every program."""
    stdin = os.memfd_create("program", os.MFD_CLOEXEC)
    verdict_read, verdict_write = os.pipe()
    try:
        _write_all(stdin, program)
        os.lseek(stdin, 0, os.SEEK_SET)
        started = time.monotonic()
        process = subprocess.Popen(
            command_for(verdict_write), stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(verdict_write, *inherit), start_new_session=True, cwd=cwd, env=dict(env))
    except BaseException:
        os.close(verdict_read)
        raise
    finally:
        os.close(stdin)
        os.close(verdict_write)
    try:
        return _watch(process, verdict_read, started=started, wall_seconds=wall_seconds, output_bytes=output_bytes,
                      check=check, verdicts=verdicts)
    finally:
        os.close(verdict_read)
        if process.stdout is not None:
            process.stdout.close()
        if process.returncode is None:
            _kill(process)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Seen:
    """What the parent has read: how much output, its tail, and the verdict's first bytes."""

    def __init__(self, output: int, verdicts: Callable[[bytes], None] | None) -> None:
        self.output, self.bytes, self.tail, self.verdict, self.verdicts = output, 0, b"", b"", verdicts

    def take(self, fd: int, chunk: bytes) -> None:
        if fd == self.output:
            self.bytes += len(chunk)
            self.tail = (self.tail + chunk)[-TAIL_BYTES:]
        elif self.verdicts is not None:
            self.verdicts(chunk)
        elif len(self.verdict) < VERDICT_BYTES:
            self.verdict += chunk


def _watch(process: subprocess.Popen, verdict_read: int, *, started: float, wall_seconds: float,
           output_bytes: int, check: Callable[[int], bool] | None,
           verdicts: Callable[[bytes], None] | None) -> Finished:
    output = process.stdout.fileno()  # type: ignore[union-attr]
    seen = _Seen(output, verdicts)
    pidfd = os.pidfd_open(process.pid)
    deadline, next_check = started + wall_seconds, started + WATCH_SECONDS
    timed_out = output_over = memory_over = exited = False
    with selectors.DefaultSelector() as selector:
        for fd in (output, verdict_read, pidfd):
            selector.register(fd, selectors.EVENT_READ)
        try:
            while not exited:
                now = time.monotonic()
                if now >= deadline:
                    timed_out = True
                    break
                if check is not None and now >= next_check:
                    if check(process.pid):
                        memory_over = True
                        break
                    next_check = now + WATCH_SECONDS
                wait = (min(deadline, next_check) if check is not None else deadline) - now
                for key, _ in selector.select(max(wait, 0)):
                    if key.fd == pidfd:
                        exited = True
                    elif chunk := os.read(key.fd, READ_BYTES):
                        seen.take(key.fd, chunk)
                    else:
                        selector.unregister(key.fd)
                if seen.bytes > output_bytes:
                    output_over = True
                    break
            if exited:  # what it wrote before it ended is in the pipes' buffers
                for fd in (output, verdict_read):
                    _drain(fd, seen)
                output_over = seen.bytes > output_bytes
        finally:
            os.close(pidfd)
    _kill(process)  # the whole group; not yet reaped, so its id cannot have been reused
    return Finished(returncode=process.returncode, verdict=seen.verdict, last_output=_last_line(seen.tail),
                    seconds=time.monotonic() - started, timed_out=timed_out, output_over=output_over,
                    memory_over=memory_over)


def _drain(fd: int, seen: _Seen) -> None:
    """Reads what `fd` holds now, without waiting (a descendant may hold it open), up to 64 reads."""
    os.set_blocking(fd, False)
    for _ in range(64):
        try:
            chunk = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return
        if not chunk:
            return
        seen.take(fd, chunk)


def _kill(process: subprocess.Popen) -> None:
    """Kills the process's group and reaps the process."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _last_line(tail: bytes) -> str:
    lines = [line for line in tail.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
