"""Running untrusted Python programs (code models' completions with their tests) and reporting how each ended.

    sandbox.py     find_isolation, execute, execute_all, execute_groups: the public API; one sandbox per group
    limits.py      Limits, and the rlimits they become
    outcome.py     Outcome, and the verdict read from how a run ended
    harness.py     the runner inside the sandbox (stdlib only): runs each program of a group in a child of its own
    bubblewrap.py  the bwrap command line: read-only system, private /tmp, no network, own PID namespace
    seccomp.py     the system calls the sandbox refuses (memory no rlimit counts, the harness, rare kernel surface)
    identities.py  one dedicated uid per concurrent run (when root), and the sweep of its processes
    process.py     one sandbox's run: spawn, read output within its bounds, kill the whole sandbox at a limit
"""
