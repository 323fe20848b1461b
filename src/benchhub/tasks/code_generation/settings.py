"""The evaluation settings of code generation: how many samples a local model draws, and how programs run.

`samples` and the text-to-text generation settings reach models that generate (networks, endpoints). The
execution limits (`wall_seconds`, `memory_mb`) and the isolation are scoring settings: they hold for every
model, predictions files and baselines included, so each evaluation's task config, cache key and provenance
carry them. The isolation is "bubblewrap" unless a run asks for none with `--unsafe-no-sandbox`
(`run_evaluation`'s `unsafe_no_sandbox`); no setting given by name turns it off, so neither a server request nor
a stored default can.
"""

from __future__ import annotations

import math
from typing import Any

from benchhub.errors import InvalidInputError
from benchhub.tasks.base import FamilyOption, check_count
from benchhub.tasks.text_to_text.generation_settings import (
    GENERATION_SETTINGS,
    check_generation_setting,
    generation_defaults,
)

# human-eval's stop sequences (its paper's "\nclass", "\ndef", "\n#", "\nif", "\nprint").
STOP_DEFAULT = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"]
MOST_SAMPLES = 1000
LONGEST_WALL_SECONDS = 600.0
MEMORY_MB = (16, 65536)
SANDBOXED, UNSAFE = "bubblewrap", "none"

CODE_SETTINGS = (
    *GENERATION_SETTINGS,
    FamilyOption("samples", "Completions a local language model samples per problem (n of pass@k; default 1); sample i "
                            "of a problem draws with a seed of its own, made of --sampling-seed, the problem's id and i.",
                 int),
    FamilyOption("wall_seconds", "Code generation: the wall-clock (and CPU) time limit of each program, in seconds "
                                 "(default 10).", float),
    FamilyOption("memory_mb", "Code generation: the address-space limit of each program's processes, in MB "
                              "(default 512).", int),
)
# The settings that hold for every kind of model (they change how completions are executed, not how they are made).
SCORING_SETTINGS = frozenset({"wall_seconds", "memory_mb", "isolation"})


def code_defaults() -> tuple[tuple[str, Any], ...]:
    """The generation defaults with human-eval's stop sequences and no chat template (code models continue the
    prompt), and the execution defaults."""
    generation = dict(generation_defaults(max_length=2048, max_new_tokens=256))
    generation.update(stop=list(STOP_DEFAULT), chat_template=False)
    return (*generation.items(), ("samples", 1), ("wall_seconds", 10.0), ("memory_mb", 512), ("isolation", SANDBOXED))


def check_code_setting(name: str, value: Any) -> None:
    """Refuses a bad value of one of the settings above, naming its option."""
    def refuse(allowed: str) -> None:
        raise InvalidInputError.naming(lambda spell: f"{spell.setting(name)} must be {allowed}. Got {value!r} instead.")

    if name == "samples":
        check_count(name, value, low=1)
        if value > MOST_SAMPLES:
            refuse(f"an int in the range [1, {MOST_SAMPLES}]")
    elif name == "wall_seconds":
        number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if not number or not 0 < value <= LONGEST_WALL_SECONDS:
            refuse(f"a number of seconds in (0, {LONGEST_WALL_SECONDS:g}]")
    elif name == "memory_mb":
        if isinstance(value, bool) or not isinstance(value, int) or not MEMORY_MB[0] <= value <= MEMORY_MB[1]:
            refuse(f"an int in the range [{MEMORY_MB[0]}, {MEMORY_MB[1]}]")
    elif name == "isolation":
        if value != SANDBOXED:
            raise InvalidInputError(f"isolation {value!r} cannot be set by name; programs run in {SANDBOXED}, or "
                                    "without isolation only with --unsafe-no-sandbox given per run to `benchhub eval` "
                                    "or `benchhub execute`.")
    else:
        check_generation_setting(name, value)


def execution_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The scoring settings of an evaluation's settings, their defaults where it names none."""
    defaults = dict(code_defaults())
    return {name: settings.get(name, defaults[name]) for name in sorted(SCORING_SETTINGS)}
