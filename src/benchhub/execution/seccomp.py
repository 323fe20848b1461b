"""The seccomp filter bwrap loads before the program starts: the few system calls it refuses (EPERM).

Refused because they hold memory that no rlimit of the program's counts (so a program could take the machine's
memory past `Limits.memory_mb`): `memfd_create` and `memfd_secret` (anonymous files: RLIMIT_FSIZE bounds each,
not how many) and SysV shared memory `shmget`/`shmat` (segments outlive their mapping until the IPC namespace
dies). Refused because they would let one program of a group reach the harness or leave state for the next
(`harness.py`): `ptrace`, `process_vm_readv`/`process_vm_writev` and `pidfd_getfd` (the harness is not dumpable
as well, which alone refuses them), SysV message queues and semaphores (`msgget`, `semget`) and POSIX message
queues (`mq_open`), which outlive their process in the IPC namespace. Refused because the programs never need
them and they are the kernel's most attacked surfaces: io_uring, `userfaultfd`, `bpf`, `perf_event_open` and the
keyrings. Every other architecture's calls (i386
through int 0x80, x32 on x86_64) are refused too, so none of these is reachable by another number.

The filter is classic BPF over `struct seccomp_data` (nr at offset 0, arch at 4), built here for x86_64 and
aarch64; on other machines `program()` is None and the sandbox runs without one (`Isolation.version` says so).
"""

from __future__ import annotations

import errno
import os
import platform
import struct

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
REFUSED = {  # name: (x86_64, aarch64)
    "memfd_create": (319, 279), "memfd_secret": (447, 447), "shmget": (29, 194), "shmat": (30, 196),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "userfaultfd": (323, 282), "bpf": (321, 280), "perf_event_open": (298, 241),
    "add_key": (248, 217), "request_key": (249, 218), "keyctl": (250, 219),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "pidfd_getfd": (438, 438),
    "msgget": (68, 186), "semget": (64, 190), "mq_open": (240, 180),
}
X32_BIT = 0x40000000

LOAD_WORD, JUMP_EQUAL, JUMP_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06
ALLOW, REFUSE = 0x7FFF0000, 0x00050000 | errno.EPERM


def _instruction(code: int, k: int, jump_true: int = 0, jump_false: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jump_true, jump_false, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter for `machine` (this one's by default) as bwrap's --seccomp reads it, or None where there is none."""
    machine = machine or platform.machine()
    if machine not in AUDIT_ARCH:
        return None
    column = 0 if machine == "x86_64" else 1
    numbers = [numbers[column] for numbers in REFUSED.values()]
    # Layout: arch check, load nr, [x32 check], one test per number, allow, refuse. Jumps count instructions skipped.
    checks = [(JUMP_AT_LEAST, X32_BIT)] if machine == "x86_64" else []
    checks += [(JUMP_EQUAL, number) for number in numbers]
    body = [_instruction(LOAD_WORD, 4), _instruction(JUMP_EQUAL, AUDIT_ARCH[machine], 0, len(checks) + 2),
            _instruction(LOAD_WORD, 0)]
    for index, (code, k) in enumerate(checks):
        body.append(_instruction(code, k, len(checks) - index, 0))
    body += [_instruction(RETURN, ALLOW), _instruction(RETURN, REFUSE)]
    return b"".join(body)


def memfd(filter_program: bytes) -> int:
    """A descriptor bwrap reads the filter from (one per run: concurrent runs must not share a file offset)."""
    fd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
    os.write(fd, filter_program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
