"""Running untrusted Python programs (code models' completions with their tests) and reporting how each ended.

    sandbox.py     find_isolation, execute, execute_all: the public API
    limits.py      Limits, and the rlimits they become
    outcome.py     Outcome, and the verdict read from how a run ended
    harness.py     the runner inside the sandbox (stdlib only): exec()s the program, reports on a pipe
    bubblewrap.py  the bwrap command line: read-only system, private /tmp, no network, own PID namespace
    identities.py  one dedicated uid per concurrent run (when root), and the sweep of its processes
    process.py     one run: spawn, read output within its bounds, kill the whole sandbox at a limit
"""
