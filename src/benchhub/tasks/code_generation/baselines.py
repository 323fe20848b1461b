"""Code-generation baselines, which show how much of a score needs no generation at all: `pass` (the function's
body is `pass`) and `retrieval` (the canonical solution of the most similar train problem, renamed to the entry
point). Both read only what a problem releases: its prompt and entry point.

A completion continues the prompt's own `def` (HumanEval: a body) or writes the function (MBPP: a whole `def`);
`problems.writes_whole_function` tells which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from benchhub.data.records import DatasetFacts, Split
from benchhub.errors import InvalidInputError
from benchhub.tasks.code_generation.problems import (
    ENTRY_POINT,
    SOLUTION,
    TESTS,
    writes_whole_function,
)
from benchhub.tasks.text_to_text.baseline import TextToTextBaseline

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer


class CodeBaseline(TextToTextBaseline):
    """Items are (prompt, entry point) pairs."""

    def inputs(self, split: Split) -> list[Any]:
        return list(zip(split.texts, split.field(ENTRY_POINT) or [], strict=True))


class PassBaseline(CodeBaseline):
    """A function whose body is `pass`: it returns None, so only tests that expect None (or nothing) pass."""

    name, version = "pass", "1"

    def predict(self, item: Any) -> str:
        prompt, entry = item
        return f"def {entry}(*args, **kwargs):\n    pass\n" if writes_whole_function(prompt, entry) else "    pass\n"


class RetrievalBaseline(CodeBaseline):
    """The canonical solution of the train problem whose prompt is most similar (cosine similarity of word TF-IDF
    vectors, scikit-learn's, sublinear tf; the first train problem on ties), with its function renamed to the
    problem's entry point. High scores mean a split repeats train problems."""

    name, version = "retrieval", "1"

    def __init__(self, prompts: Sequence[str] = (), solutions: Sequence[str] = (), entry_points: Sequence[str] = (),
                 whole: Sequence[bool] = ()) -> None:
        super().__init__(prompts=list(prompts), solutions=list(solutions), entry_points=list(entry_points),
                         whole=list(whole))
        self._vectorizer: TfidfVectorizer | None = None
        self._train: Any = None

    @classmethod
    def trained(cls, train: Split, facts: DatasetFacts) -> Self:
        solutions, tests = train.field(SOLUTION), train.field(TESTS)
        if not solutions or not tests:
            raise InvalidInputError(f"The train split {train.name!r} has no canonical solutions to retrieve; register it "
                                    "with its canonical_solution (HumanEval) or code (MBPP) column.")
        return cls(prompts=train.texts, solutions=solutions, entry_points=train.field(ENTRY_POINT) or [],
                   whole=[t["layout"] != "humaneval" for t in tests])

    def predict_items(self, items: Sequence[Any]) -> list[str]:
        if not items:
            return []
        vectorizer, train = self._fitted()
        if vectorizer is None:
            nearest = [0] * len(items)
        else:
            similarity = (vectorizer.transform([prompt for prompt, _ in items]) @ train.T).toarray()
            nearest = [int(i) for i in np.argmax(similarity, axis=1)]
        return [self._completion(int(i), prompt, entry) for i, (prompt, entry) in zip(nearest, items, strict=True)]

    def _completion(self, index: int, prompt: str, entry: str) -> str:
        state = self.state
        solution = re.sub(rf"\b{re.escape(state['entry_points'][index])}\b", entry, state["solutions"][index])
        wants_whole, has_whole = writes_whole_function(prompt, entry), bool(state["whole"][index])
        if wants_whole == has_whole:
            return solution
        if wants_whole:  # a HumanEval body for an MBPP problem: under a def of any arguments
            return f"def {entry}(*args, **kwargs):\n{solution}"
        lines = solution.splitlines(keepends=True)  # an MBPP function for a HumanEval prompt: its body
        start = next((n + 1 for n, line in enumerate(lines) if re.match(rf"def\s+{re.escape(entry)}\s*\(", line)), 0)
        return "".join(lines[start:])

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "train_problems": len(self.state["prompts"])}

    def _fitted(self) -> tuple[TfidfVectorizer | None, Any]:
        """The vectorizer fitted on the train prompts (again after a load: the fit is deterministic), or None where
        they hold no word."""
        if self._train is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", sublinear_tf=True)
            try:
                self._train = self._vectorizer.fit_transform(self.state["prompts"])
            except ValueError:  # no word in any train prompt
                self._vectorizer, self._train = None, False
        return self._vectorizer, self._train


BASELINES: dict[str, type] = {cls.name: cls for cls in (PassBaseline, RetrievalBaseline)}
