"""The sandbox that runs code models' programs: real bubblewrap, real hostile programs, a hub that stays healthy.

Each hostile program must end as a failed Outcome with the status its attack earns, leave nothing running, and
leave this process (the hub) able to run the next program.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchhub.errors import InvalidInputError
from benchhub.execution import bubblewrap, identities, sandbox
from benchhub.execution.limits import SANDBOX_PROCESSES
from benchhub.execution.sandbox import (
    Isolation,
    Limits,
    Outcome,
    execute,
    execute_all,
    execute_groups,
    find_isolation,
)

FAST = Limits(wall_seconds=5.0, cpu_seconds=2.0, memory_mb=256, processes=8, output_bytes=100_000)


@pytest.fixture(scope="module")
def isolation() -> Isolation:
    return find_isolation()


def run(program: str, isolation: Isolation, limits: Limits = FAST) -> Outcome:
    return execute(program, limits=limits, isolation=isolation)


def assert_hub_healthy(isolation: Isolation) -> None:
    """This process still forks, and the next program runs and passes."""
    assert subprocess.run(["true"], check=False).returncode == 0
    assert run("assert sum(range(4)) == 6", isolation).status == "passed"


CLAIMED: set[int] = set()


@pytest.fixture(autouse=True)
def record_claimed_uids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records the uids this test's sandboxes run as (as root): only their processes are its own, since other test
    processes on this machine run sandboxes of their own at the same time."""
    CLAIMED.clear()
    real = identities.claim

    def claim(*args, **kwargs):
        identity = real(*args, **kwargs)
        if identity.uid is not None:
            CLAIMED.add(identity.uid)
        return identity

    monkeypatch.setattr(identities, "claim", claim)


def sandbox_tasks() -> list[identities.Task]:
    """Live processes under the uids of this test's sandboxes (as root), or none."""
    return [task for task in identities.tasks() if task.real_uid in CLAIMED and not task.zombie]


def eventually(found, seconds: float = 3.0):
    """`found()` once it is empty, or what it still finds after `seconds` (a PID namespace takes a moment to die)."""
    deadline = time.monotonic() + seconds
    while (left := found()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def test_find_isolation_names_bubblewrap_and_the_python_inside(isolation):
    assert isolation.kind == "bubblewrap"
    assert isolation.version.startswith("bubblewrap ")
    assert isolation.python.startswith("CPython 3.")
    assert isolation.as_dict() == {"kind": "bubblewrap", "version": isolation.version, "python": isolation.python}


def test_a_passing_program_passes(isolation):
    outcome = run("def add(a, b):\n    return a + b\n\n\nassert add(2, 3) == 5\nprint('fine')\n", isolation)
    assert (outcome.status, outcome.detail, outcome.passed) == ("passed", "", True)
    assert 0 < outcome.seconds < FAST.wall_seconds
    assert outcome.as_dict() == {"status": "passed", "detail": "", "seconds": outcome.seconds}


def test_a_failing_assert_is_named_with_its_line(isolation):
    program = ('def inc(x):\n    return x + 2\n\n\ndef check(candidate):\n    assert candidate(1) == 2\n'
               '    assert candidate(3) == 4\n\n\ncheck(inc)\n')
    outcome = run(program, isolation)
    assert (outcome.status, outcome.detail) == ("failed", "AssertionError: line 6: assert candidate(1) == 2")


def test_a_traceback_the_program_prints_shows_its_lines(isolation):
    program = ("import traceback\n\n\ndef f():\n    assert 1 == 2\n\n\ntry:\n    f()\nexcept AssertionError:\n"
               "    shown = traceback.format_exc()\nassert 'assert 1 == 2' not in shown, 'the line is shown'\n")
    assert run(program, isolation).detail.endswith(": the line is shown")


def test_a_program_that_patches_os_still_gets_its_verdict(isolation):
    program = "import os\nos.write = os._exit = os.getpid = None\nassert 2 + 2 == 5\n"
    assert run(program, isolation).detail == "AssertionError: line 3: assert 2 + 2 == 5"


def test_a_syntax_error_and_an_exception_are_errors(isolation):
    assert run("def f(:\n    pass\n", isolation).as_dict() | {"seconds": 0} == {
        "status": "error", "detail": "SyntaxError: invalid syntax (line 1)", "seconds": 0}
    assert run("x = 1 / 0\n", isolation).detail == "ZeroDivisionError: division by zero"
    assert run("import sys\nsys.exit(0)\n", isolation).as_dict()["detail"] == "SystemExit: 0"
    assert run("import os\nos._exit(0)\n", isolation).status == "error"  # exit code 0 without the harness's verdict


def test_a_fork_bomb_is_bounded_by_the_process_limit_and_the_hub_stays_healthy(isolation):
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    limits = Limits(wall_seconds=2.0, cpu_seconds=2.0, memory_mb=256, processes=8)
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], sum(task.threads for task in sandbox_tasks()))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcome = run(bomb, isolation, limits)
    finally:
        done.set()
        watcher.join()
    assert outcome.status == "timeout" and outcome.detail == "timed out after 2 s (wall)"
    if identities.as_root():  # the bomb ran under a uid of its own, bounded: bwrap's two processes plus 8
        assert 2 < peak[0] <= limits.processes + SANDBOX_PROCESSES
    assert eventually(sandbox_tasks) == []
    assert_hub_healthy(isolation)


def test_a_memory_bomb_ends_as_memory(isolation):
    assert run("x = bytearray(4 * 1024 ** 3)\n", isolation).status == "memory"
    grow = "chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))\n"
    outcome = run(grow, isolation)
    assert (outcome.status, outcome.detail) == ("memory", "MemoryError")
    assert_hub_healthy(isolation)


def test_processes_that_hold_more_memory_together_than_the_limit_are_killed(isolation):
    program = ("import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        hoard = b'x' * (200 << 20)\n"
               "        time.sleep(30)\n        os._exit(0)\ntime.sleep(30)\n")
    outcome = run(program, isolation, Limits(wall_seconds=10.0, memory_mb=512))
    if identities.as_root():
        assert (outcome.status, outcome.detail) == ("memory", "killed: its processes held over 512 MB together")
        assert outcome.seconds < 5.0
    else:  # the user's own uid: only each process's address space is bounded
        assert outcome.status == "timeout"
    assert eventually(sandbox_tasks) == []


def test_memory_that_no_rlimit_counts_is_refused(isolation):
    memfd = run("import os\nos.memfd_create('hoard')\n", isolation)
    assert (memfd.status, memfd.detail) == ("error", "PermissionError: [Errno 1] Operation not permitted")
    shm = run("import ctypes, ctypes.util\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "assert libc.shmget(0, 100 << 20, 0o1600) >= 0, ctypes.get_errno()\n", isolation)
    assert (shm.status, shm.detail) == ("failed", "AssertionError: line 3: assert libc.shmget(0, 100 << 20, 0o1600) "
                                                  ">= 0, ctypes.get_errno(): 1")


def test_an_infinite_loop_ends_at_the_cpu_limit_and_a_sleep_at_the_wall_limit(isolation):
    spin = run("while True:\n    pass\n", isolation, Limits(wall_seconds=10.0, cpu_seconds=1.0))
    assert (spin.status, spin.detail) == ("timeout", "over the CPU time limit of 1 s")
    assert 1.0 <= spin.seconds < 5.0
    stubborn = run("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n", isolation,
                   Limits(wall_seconds=10.0, cpu_seconds=1.0))
    assert (stubborn.status, stubborn.detail) == ("timeout", "over the CPU time limit of 1 s (SIGKILL at the hard limit)")
    sleep = run("import time\ntime.sleep(60)\n", isolation, Limits(wall_seconds=1.0, cpu_seconds=10.0))
    assert (sleep.status, sleep.detail) == ("timeout", "timed out after 1 s (wall)")
    assert 1.0 <= sleep.seconds < 3.0


def test_ten_gigabytes_on_stdout_end_at_the_output_limit(isolation):
    flood = "import sys\nchunk = 'x' * 1_000_000\nfor _ in range(10_000):\n    sys.stdout.write(chunk)\n"
    outcome = run(flood, isolation)
    assert (outcome.status, outcome.detail) == ("output-limit", "output over the limit of 100,000 bytes")
    assert outcome.seconds < 3.0
    assert_hub_healthy(isolation)


def test_a_socket_to_a_listening_port_on_this_machine_is_refused(isolation):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        program = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        outcome = run(program, isolation)
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    assert (outcome.status, outcome.detail) == ("error", "ConnectionRefusedError: [Errno 111] Connection refused")
    outside = run("import socket\nsocket.getaddrinfo('pypi.org', 443)\n", isolation)
    assert outside.status == "error" and outside.detail.startswith("gaierror")


def test_the_hub_database_other_tests_and_the_environment_are_out_of_reach(isolation, isolated_hub, tmp_path,
                                                                          monkeypatch):
    isolated_hub.mkdir(parents=True)
    database = isolated_hub / "hub.db"
    database.write_text("SQLite format 3 secret rows")
    hidden = tmp_path / "problem_7_tests.py"
    hidden.write_text("assert candidate(7) == 'hidden'\n")
    monkeypatch.setenv("BENCHHUB_TOKEN", "token-that-must-not-leak")
    for path in (database, hidden):
        outcome = run(f"print(open({str(path)!r}).read())\n", isolation)
        assert (outcome.status, outcome.detail) == (
            "error", f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'")
    seen = run("import os\nassert False, (sorted(os.listdir('/')), dict(os.environ))\n", isolation)
    assert seen.status == "failed"
    assert "token-that-must-not-leak" not in seen.detail and "BENCHHUB" not in seen.detail
    assert "['bin', 'dev', 'lib', 'lib64', 'proc', 'tmp', 'usr']" in seen.detail


def test_killing_the_parent_and_everything_leaves_the_hub_running(isolation):
    program = ("import os, signal\nfor target in (os.getppid(), 1, -1):\n    try:\n"
               "        os.kill(target, signal.SIGKILL)\n    except OSError:\n        pass\n"
               "assert False, 'still here'\n")
    outcome = run(program, isolation)
    assert (outcome.status, outcome.detail) == ("failed", "AssertionError: line 7: assert False, 'still here': still here")
    shell = run("import subprocess\nsubprocess.run(['/bin/sh', '-c', 'kill -9 -1; kill -9 $PPID'])\nassert False\n",
                isolation)
    assert shell.status in ("failed", "killed")
    assert_hub_healthy(isolation)


def test_a_child_that_setsids_away_dies_with_the_sandbox(isolation):
    marker = f"{time.time_ns() % 10**9}.25"  # a sleep no other process on this machine runs
    program = (f"import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
               f"        os.execv('/bin/sleep', ['sleep', '{marker}'])\n    os._exit(0)\n"
               "import time\ntime.sleep(0.3)\nassert False, 'parent ends'\n")
    outcome = run(program, isolation)
    assert outcome.status == "failed"
    assert eventually(lambda: processes_running(marker)) == []
    assert eventually(sandbox_tasks) == []


def processes_running(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


@pytest.mark.parametrize("unsafe", [False, True], ids=["bubblewrap", "unsafe-no-sandbox"])
def test_a_program_dies_with_the_hub_that_watches_it(unsafe):
    marker = f"{time.time_ns() % 10**9}.75"
    # The hub's own command line holds the marker reversed, so that only the sandbox's sleep matches it.
    hub = ("from benchhub.execution.sandbox import Limits, execute, find_isolation\n"
           f"marker = {marker[::-1]!r}[::-1]\n"
           "execute(f\"import os\\nos.execv('/bin/sleep', ['sleep', '{marker}'])\\n\", "
           f"limits=Limits(wall_seconds=120.0), isolation=find_isolation(unsafe_no_sandbox={unsafe}))\n")
    process = subprocess.Popen([sys.executable, "-c", hub], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert eventually(lambda: [] if processes_running(marker) else ["not started"], seconds=20.0) == []
    finally:
        process.kill()
        process.wait()
    assert eventually(lambda: processes_running(marker)) == []


def test_a_ctypes_crash_is_killed(isolation):
    outcome = run("import ctypes\nctypes.string_at(0)\n", isolation)
    assert (outcome.status, outcome.detail) == ("killed", "killed by SIGSEGV")
    assert_hub_healthy(isolation)


def test_the_system_is_read_only_and_tmp_is_private(isolation, tmp_path):
    target = Path("/usr/lib/benchhub-sandbox-was-here")
    outcome = run(f"open({str(target)!r}, 'w').write('x')\n", isolation)
    assert (outcome.status, outcome.detail) == ("error", f"OSError: [Errno 30] Read-only file system: '{target}'")
    assert not target.exists()
    written = run("open('/tmp/scratch.txt', 'w').write('mine')\nassert open('/tmp/scratch.txt').read() == 'mine'\n",
                  isolation)
    assert written.status == "passed"
    assert not Path("/tmp/scratch.txt").exists()
    big = run("open('/tmp/big', 'wb').write(b'x' * (200 * 1024 * 1024))\n", isolation,
              Limits(wall_seconds=5.0, cpu_seconds=5.0, memory_mb=512))
    assert big.status in ("error", "memory") and big.detail.startswith(("OSError", "MemoryError"))


def test_execute_all_runs_in_parallel_and_answers_in_input_order(isolation):
    programs = [f"import time\ntime.sleep(0.2)\nassert {index} % 3 != 0, 'multiple of three'\n" for index in range(8)]
    seen: list[tuple[int, int]] = []
    outcomes = execute_all(programs, limits=FAST, isolation=isolation, workers=4,
                           progress=lambda done, total: seen.append((done, total)))
    assert [outcome.status for outcome in outcomes] == ["failed", "passed", "passed", "failed", "passed", "passed",
                                                       "failed", "passed"]
    assert seen == [(done, 8) for done in range(1, 9)]
    assert execute_all([], limits=FAST, isolation=isolation) == []
    with pytest.raises(InvalidInputError, match="workers must be a whole number ≥ 1, got 0"):
        execute_all(programs, limits=FAST, isolation=isolation, workers=0)


def test_what_crosses_processes_pickles(isolation):
    # The local pool and Ray tasks send these to other processes. Only our own in-memory values are round-tripped
    # here; nothing read from a file or a user is unpickled.
    for value in (FAST, isolation, run("assert 0, 'no'", isolation)):
        assert pickle.loads(pickle.dumps(value)) == value
    for function in (execute, execute_all, execute_groups):  # by reference, as a Ray task or a pool sends them
        assert pickle.loads(pickle.dumps(function)) is function


def test_limits_refuse_what_cannot_be_a_limit():
    with pytest.raises(InvalidInputError, match=r"Limits.wall_seconds must be a positive number, got 0; the default"):
        Limits(wall_seconds=0)
    assert Limits().as_dict() == {"wall_seconds": 10.0, "cpu_seconds": 10.0, "memory_mb": 512, "processes": 16,
                                  "output_bytes": 1_000_000}


def test_without_bubblewrap_execution_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(sandbox, "_setups", {})
    monkeypatch.setattr(bubblewrap, "BWRAP", "bwrap-that-is-not-installed")
    monkeypatch.setattr(bubblewrap, "BWRAP_PATH", "/nonexistent/bwrap")
    with pytest.raises(InvalidInputError, match=r"bwrap is not installed: install it with `apt-get install "
                                                r"bubblewrap`.*--unsafe-no-sandbox") as refused:
        find_isolation()
    assert "\n" not in str(refused.value)


def test_a_bwrap_that_cannot_sandbox_here_is_refused(monkeypatch):
    monkeypatch.setattr(sandbox, "_setups", {})
    monkeypatch.setattr(bubblewrap, "BWRAP", "/bin/false")
    with pytest.raises(InvalidInputError, match=r"bwrap is installed but cannot run a sandbox here .*apt-get install "
                                                r"bubblewrap.*--unsafe-no-sandbox"):
        find_isolation()


def test_unsafe_no_sandbox_runs_the_same_harness_and_says_so(caplog):
    with caplog.at_level(logging.WARNING, logger="benchhub.execution.sandbox"):
        unsafe = find_isolation(unsafe_no_sandbox=True)
    assert (unsafe.kind, unsafe.version) == ("none", "none") and unsafe.python.startswith("CPython 3.")
    assert "WITHOUT a sandbox" in caplog.text
    outcomes = execute_all(["assert 1 + 1 == 2\n", "assert 1 + 1 == 3\n", "while True:\n    pass\n"],
                           limits=Limits(wall_seconds=5.0, cpu_seconds=1.0), isolation=unsafe)
    assert [(outcome.status, outcome.detail) for outcome in outcomes] == [
        ("passed", ""), ("failed", "AssertionError: line 1: assert 1 + 1 == 3"),
        ("timeout", "over the CPU time limit of 1 s")]


def test_an_isolation_this_process_does_not_have_is_refused(isolation):
    with pytest.raises(InvalidInputError, match="find_isolation\\(\\) on this machine gives its own"):
        execute("assert True", limits=FAST, isolation=Isolation("bubblewrap", "bubblewrap 9.9", isolation.python))


def run_group(programs: list[str], isolation: Isolation, limits: Limits = FAST) -> list[Outcome]:
    return execute_groups([programs], limits=limits, isolation=isolation)[0]


def test_a_group_gives_the_outcomes_its_programs_get_alone(isolation):
    programs = ["assert sum(range(4)) == 6\n", "def f(x):\n    return x\n\n\nassert f(1) == 2\n", "x = 1 / 0\n",
                "def f(:\n    pass\n", "import sys\nsys.exit(3)\n", "import os\nos._exit(0)\n",
                "print('fine')\nassert True\n", "import ctypes\nctypes.string_at(0)\n"]
    alone = [run(program, isolation) for program in programs]
    together = run_group(programs, isolation)
    assert [(o.status, o.detail) for o in together] == [(o.status, o.detail) for o in alone]
    assert [o.status for o in together] == ["passed", "failed", "error", "error", "error", "error", "passed", "killed"]


def test_execute_groups_answers_in_the_groups_shape_with_progress_per_program(isolation):
    groups = [[f"assert {index} % 3 != 0\n" for index in range(first, first + size)]
              for first, size in ((0, 3), (3, 1), (4, 0), (4, 5))]
    seen: list[tuple[int, int]] = []
    outcomes = execute_groups(groups, limits=FAST, isolation=isolation, workers=3,
                              progress=lambda done, total: seen.append((done, total)))
    assert [[outcome.passed for outcome in group] for group in outcomes] == [
        [False, True, True], [False], [], [True, True, False, True, True]]
    assert seen == [(done, 9) for done in range(1, 10)]
    unsafe = find_isolation(unsafe_no_sandbox=True)
    assert [[o.status for o in group] for group in execute_groups([["assert 1\n", "assert 0\n"]], limits=FAST,
                                                                  isolation=unsafe)] == [["passed", "failed"]]


def test_a_background_process_and_files_do_not_reach_the_next_program_of_the_group(isolation):
    leaves = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(0.4)\n"
              "    open('/tmp/late', 'w').write('x')\n    os._exit(0)\n"
              "open('/tmp/left', 'w').write('x')\nos.mkdir('/tmp/folder', 0)\nopen('/dev/shm/left', 'w').write('x')\n"
              "os.chmod('/tmp', 0o500)\n")
    finds = ("import os, time\ntime.sleep(0.8)\nassert os.listdir('/tmp') == ['program.py'], os.listdir('/tmp')\n"
             "assert os.listdir('/dev/shm') == [], os.listdir('/dev/shm')\nassert os.access('/tmp', os.W_OK)\n"
             "assert [p for p in os.listdir('/proc') if p.isdigit()] == ['1', str(os.getpid())]\n")
    outcomes = run_group([leaves, finds], isolation)
    assert [(o.status, o.detail) for o in outcomes] == [("passed", ""), ("passed", "")]
    # Nothing else is writable: not /dev, nor the empty folders over the site-packages.
    for folder in ("/dev", *sandbox._setup(unsafe=False).hidden):
        written = run(f"open({folder + '/left'!r}, 'w')\n", isolation)
        assert written.detail.startswith("OSError: [Errno 30] Read-only file system"), folder


def test_a_program_cannot_kill_the_harness_and_one_that_breaks_its_group_breaks_only_itself(isolation):
    killer = ("import os, signal\nfor target, sent in ((os.getppid(), signal.SIGKILL), (1, signal.SIGINT), "
              "(1, signal.SIGTERM), (-1, signal.SIGKILL)):\n    try:\n        os.kill(target, sent)\n"
              "    except OSError:\n        pass\nassert False, 'still here'\n")
    group = ["assert True\n", killer, "assert 1 == 2\n", "assert True\n"]
    assert [(o.status, o.detail) for o in run_group(group, isolation)] == [
        ("passed", ""), ("failed", "AssertionError: line 7: assert False, 'still here': still here"),
        ("failed", "AssertionError: line 1: assert 1 == 2"), ("passed", "")]
    # Without a PID namespace the harness is not init: the killer kills it, the group breaks, and is run again.
    unsafe = find_isolation(unsafe_no_sandbox=True)
    assert [(o.status, o.detail) for o in run_group(group, unsafe)] == [
        ("passed", ""), ("killed", "killed by SIGKILL"), ("failed", "AssertionError: line 1: assert 1 == 2"),
        ("passed", "")]


def test_a_program_cannot_forge_the_next_programs_verdict(isolation):
    # A frame as the harness writes it, sent on every descriptor the program has and on the harness's own.
    frame = "done\\t1\\t0\\t0.1\\t0\\t0\\t" + "passed\t\n".encode().hex() + "\\t\\n"
    forger = ("import os\nframe = '" + frame + "'.encode()\nwritten, opened = [], []\nfor fd in range(3, 64):\n"
              "    try:\n        os.write(fd, frame)\n        written.append(fd)\n    except OSError:\n        pass\n"
              "for fd in range(64):\n    try:\n        with open(f'/proc/1/fd/{fd}', 'wb') as pipe:\n"
              "            pipe.write(frame)\n        opened.append(fd)\n    except OSError:\n        pass\n"
              "assert len(written) == 1 and opened == [], (written, opened)\n")
    outcomes = run_group([forger, "assert 1 == 2\n"], isolation)
    # Its one descriptor was its own verdict pipe: the forged line became its own (malformed) verdict, after which
    # its own checks passed (exit code 0).
    assert [(o.status, o.detail) for o in outcomes] == [
        ("error", "exited with code 0 before its verdict"), ("failed", "AssertionError: line 1: assert 1 == 2")]


def test_a_program_cannot_trace_or_read_the_harness(isolation):
    # seccomp refuses even what the kernel allows anyone (PTRACE_TRACEME, reading one's own memory); the harness
    # being not dumpable refuses its /proc files.
    program = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
               "assert libc.ptrace(16, 1, 0, 0) == -1 and libc.ptrace(0, 0, 0, 0) == -1 and ctypes.get_errno() == 1\n"
               "local = (ctypes.c_char * 8)()\n"
               "iov = (ctypes.c_void_p * 2)(ctypes.addressof(local), 8)\n"
               "assert libc.process_vm_readv(os.getpid(), iov, 1, iov, 1, 0) == -1 and ctypes.get_errno() == 1\n"
               "for path in ('/proc/1/mem', '/proc/1/fd/0', '/proc/1/environ'):\n    try:\n"
               "        open(path, 'rb').read(1)\n    except PermissionError:\n        continue\n"
               "    raise AssertionError(path)\nraise AssertionError('refused')\n")
    outcomes = run_group([program, "assert True\n"], isolation)
    assert [(o.status, o.detail) for o in outcomes] == [
        ("failed", "AssertionError: line 13: raise AssertionError('refused'): refused"), ("passed", "")]


def test_ipc_objects_that_would_outlive_a_program_are_refused(isolation):
    program = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nrefused = []\n"
               "for name, call in (('msgget', lambda: libc.msgget(0, 0o1600)),\n"
               "                   ('semget', lambda: libc.semget(0, 1, 0o1600)),\n"
               "                   ('mq_open', lambda: libc.mq_open(b'/left', 0o100 | 2, 0o600, None))):\n"
               "    if call() == -1 and ctypes.get_errno() == 1:\n        refused.append(name)\n"
               "assert False, refused\n")
    assert run(program, isolation).detail.endswith(": ['msgget', 'semget', 'mq_open']")


def test_an_infinite_loop_times_out_alone_and_the_group_goes_on(isolation):
    limits = Limits(wall_seconds=3.0, cpu_seconds=1.0, memory_mb=256)
    outcomes = run_group(["while True:\n    pass\n", "assert True\n", "assert 2 + 2 == 4\n"], isolation, limits)
    assert [(o.status, o.detail) for o in outcomes] == [
        ("timeout", "over the CPU time limit of 1 s"), ("passed", ""), ("passed", "")]
    assert 1.0 <= outcomes[0].seconds < 3.0 and outcomes[1].seconds < 1.0


def test_a_memory_bomb_in_a_group_is_its_own_and_the_rest_still_run(isolation):
    hoard = ("import os, time\nfor _ in range(4):\n    if os.fork() == 0:\n        hoard = b'x' * (200 << 20)\n"
             "        time.sleep(30)\n        os._exit(0)\ntime.sleep(30)\n")
    group = ["assert True\n", "x = bytearray(4 * 1024 ** 3)\n", hoard, "assert 1 == 2\n", "assert True\n"]
    outcomes = run_group(group, isolation, Limits(wall_seconds=10.0, memory_mb=512))
    expected_hoard = (("memory", "killed: its processes held over 512 MB together") if identities.as_root()
                      else ("timeout", "timed out after 10 s (wall)"))
    assert [(o.status, o.detail) for o in outcomes] == [
        ("passed", ""), ("memory", "MemoryError"), expected_hoard, ("failed", "AssertionError: line 1: assert 1 == 2"),
        ("passed", "")]
    assert eventually(sandbox_tasks) == []
