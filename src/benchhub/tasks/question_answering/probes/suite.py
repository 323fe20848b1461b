"""The default question-answering probe suite."""

from __future__ import annotations

from benchhub.probes.base import Perturbation
from benchhub.tasks.question_answering.probes.distractor import Distractor
from benchhub.tasks.question_answering.probes.position import AnswerSentenceShift
from benchhub.tasks.question_answering.probes.unanswerable import RemoveAnswerSentence


def default_qa_suite() -> list[Perturbation]:
    """A distractor at the end of the context, the answer sentence moved, the answer sentence removed."""
    return [Distractor(), AnswerSentenceShift(), RemoveAnswerSentence()]
