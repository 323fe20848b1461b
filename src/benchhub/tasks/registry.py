"""The task registry: task names to their specs."""

from __future__ import annotations

from benchhub.errors import InvalidInputError
from benchhub.tasks.base import Task, has_head, head_suffixes
from benchhub.tasks.code_generation.task import CodeGeneration
from benchhub.tasks.generative_answers.task import GenerativeAnswers
from benchhub.tasks.language_modeling.task import LanguageModeling
from benchhub.tasks.multiple_choice.task import MultipleChoice
from benchhub.tasks.question_answering.task import QuestionAnswering
from benchhub.tasks.summarization.task import Summarization
from benchhub.tasks.text_classification.task import TextClassification
from benchhub.tasks.token_classification.task import TokenClassification
from benchhub.tasks.translation.task import Translation

TASKS: dict[str, Task] = {task.name: task for task in (TextClassification(), QuestionAnswering(), TokenClassification(),
                                                        Summarization(), Translation(), MultipleChoice(),
                                                        GenerativeAnswers(), LanguageModeling(), CodeGeneration())}
# The family `dataset add` assumes when no --task is given.
DEFAULT_TASK = TextClassification.name


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise InvalidInputError(f"Unknown task {name!r}; available tasks: {', '.join(sorted(TASKS))}.") from None


def tasks_with_head(architectures: object) -> list[Task]:
    """The tasks whose head one of a config's `architectures` has and that run it (none for a bare encoder such as
    `BertModel`)."""
    return [task for task in TASKS.values() if has_head(task, architectures) and task.checkpoint_refusal(architectures) is None]


def checkpoint_refusal(architectures: object) -> str | None:
    """None where some family runs a checkpoint with these `architectures`, else the first family's reason to
    refuse it (a generative model no family runs), or None (then no family has its head)."""
    if tasks_with_head(architectures):
        return None
    return next((reason for task in TASKS.values() if (reason := task.checkpoint_refusal(architectures))), None)


def runnable_heads() -> list[Task]:
    """The tasks that run transformers checkpoints of their head today."""
    return [task for task in TASKS.values()
            if task.checkpoint_refusal([f"Model{suffix}" for suffix in head_suffixes(task)]) is None]
