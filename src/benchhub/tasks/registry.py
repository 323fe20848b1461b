"""The task registry: task names to their specs."""

from __future__ import annotations

from benchhub.errors import InvalidInputError
from benchhub.tasks.text_classification import TextClassification

TASKS = {task.name: task for task in (TextClassification(),)}


def get_task(name: str) -> TextClassification:
    try:
        return TASKS[name]
    except KeyError:
        raise InvalidInputError(f"Unknown task {name!r}; available tasks: {', '.join(sorted(TASKS))}.") from None
