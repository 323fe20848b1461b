"""The bwrap command line for one sandbox.

Inside: /usr read-only (with the /bin, /lib, /lib64 links), the interpreter's prefix read-only at its own path
when it lives outside /usr, its site-packages hidden under empty read-only tmpfs, a fresh /proc of its own PID
namespace, a minimal read-only /dev, a private /tmp and /dev/shm of FILE_MB each (the only writable folders, which
the harness empties between programs), and nothing else of the host: no /etc, no /home, /root or /work, no
hub folder or database. Every namespace is new (user, PID, network with only a loopback nobody else
listens on, IPC, UTS, cgroup), user namespaces cannot be nested, a few system calls are refused (`seccomp.py`),
the environment is cleared, and the harness runs in a new session as the PID namespace's init (--as-pid-1, so
that no program inside can signal it, and its kill(-1) reaches all of them); with --die-with-parent it dies with
bwrap, and the PID namespace, with every process in it, dies with its init.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from benchhub.execution.limits import FILE_MB

BWRAP = "bwrap"
BWRAP_PATH = "/usr/bin/bwrap"  # where Debian's bubblewrap puts it, for a PATH without /usr/bin
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


def find_bwrap() -> str | None:
    return shutil.which(BWRAP) or (BWRAP_PATH if Path(BWRAP_PATH).exists() else None)


def command(bwrap: str, *, python: list[str], hidden: tuple[str, ...], seccomp_fd: int | None = None) -> list[str]:
    """bwrap's arguments to run `python` (the interpreter and its arguments) in a fresh sandbox; `hidden` folders
    (site-packages) are covered with empty read-only tmpfs; bwrap reads the seccomp filter (`seccomp.py`) from
    `seccomp_fd`."""
    size = str(FILE_MB * 1024 * 1024)
    line = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--as-pid-1", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
            "--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev", "--size", size, "--tmpfs", "/tmp"]
    prefix = _prefix(python[0])
    if prefix is not None and not _under(prefix, "/usr"):
        line += ["--ro-bind", prefix, prefix]
    for folder in hidden:
        line += ["--tmpfs", folder, "--remount-ro", folder]
    if seccomp_fd is not None:
        line += ["--seccomp", str(seccomp_fd)]
    line += ["--chdir", "/tmp", "--clearenv"]
    for name, value in ENVIRONMENT.items():
        line += ["--setenv", name, value]
    return [*line, "--", *python]


def _prefix(interpreter: str) -> str | None:
    """The folder an interpreter at PREFIX/bin/pythonX.Y lives in (its standard library is under PREFIX/lib)."""
    path = Path(interpreter)
    return str(path.parent.parent) if path.parent.name == "bin" else None


def _under(path: str, folder: str) -> bool:
    return Path(path) == Path(folder) or Path(folder) in Path(path).parents


def version(bwrap: str) -> str:
    """"bubblewrap 0.8.0", as `bwrap --version` prints it."""
    result = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10, check=False)
    return result.stdout.strip() or f"bubblewrap (unknown version, {bwrap})"
