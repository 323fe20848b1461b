"""The default question-answering probe suite."""

from __future__ import annotations

from benchhub.probes.base import Perturbation
from benchhub.probes.qa_distractor import Distractor
from benchhub.probes.qa_position import AnswerSentenceShift
from benchhub.probes.qa_unanswerable import RemoveAnswerSentence


def default_qa_suite() -> list[Perturbation]:
    """A distractor at the end of the context, the answer sentence moved, the answer sentence removed."""
    return [Distractor(), AnswerSentenceShift(), RemoveAnswerSentence()]
