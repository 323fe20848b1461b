"""Where jobs run: a pool of worker processes on this machine, or tasks on a Ray cluster.

Both executors take the same things: a job function (importable by name, so another process can
run it), its argument tuples, and two callbacks, one for each result and one that turns a job the
executor could not finish into a result. Neither retries a job that fails by raising: only a job
whose process died (SIGKILL, out of memory) is retried, up to `max_retries` times.
"""
