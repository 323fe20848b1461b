"""SQuAD-format question answering data: flattening v1.1/v2.0 JSON, and validating QA splits.

A QA split keeps questions in `Split.texts`, contexts in `Split.text_pairs` and gold answers in
`Split.field("answers")` as `{"text": [...], "answer_start": [...]}` (empty lists: unanswerable).
"""

from __future__ import annotations

from typing import Any

from benchhub.data.records import ColumnMapping, ExampleId, Split
from benchhub.data.splits import FieldsReader
from benchhub.errors import DatasetFormatError


def is_squad_document(document: Any) -> bool:
    """Whether a parsed JSON document has the SQuAD shape data → paragraphs → qas."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("data"), list)
        and all(isinstance(article, dict) and "paragraphs" in article for article in document["data"])
    )


def squad_rows(document: Any, where: str) -> list[dict[str, Any]] | None:
    """The rows of a SQuAD v1.1/v2.0 JSON document, or None for any other JSON (read as an array of objects)."""
    return flatten_squad(document, where) if is_squad_document(document) else None


def flatten_squad(document: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """One row per question: id, title, context, question, answers, is_impossible."""
    rows = []
    for a, article in enumerate(document["data"]):
        for p, paragraph in enumerate(article.get("paragraphs") or []):
            if not isinstance(paragraph, dict) or "qas" not in paragraph:
                raise DatasetFormatError(f"{where}: data[{a}].paragraphs[{p}] has no 'qas' list.")
            for q, qa in enumerate(paragraph["qas"]):
                if not isinstance(qa, dict):
                    raise DatasetFormatError(f"{where}: data[{a}].paragraphs[{p}].qas[{q}] is not an object.")
                rows.append({
                    "id": qa.get("id"),
                    "title": article.get("title"),
                    "context": paragraph.get("context"),
                    "question": qa.get("question"),
                    # Validated later, with the other formats, by qa_answers.
                    "answers": qa.get("answers") or [],
                    "is_impossible": bool(qa.get("is_impossible", False)),
                })
    return rows


def answers_reader(mapping: ColumnMapping) -> FieldsReader:
    """Reads each row's gold answers from the mapping's answers column (and SQuAD's is_impossible flag);
    a question or context that is empty is refused."""
    def read(row: dict[str, Any], example_id: ExampleId, question: str, context: str | None, where: str,
             split: str) -> dict[str, Any]:
        if not question.strip() or not (context or "").strip():
            what = "question" if not question.strip() else "context"
            raise DatasetFormatError(f"{where}, split {split!r}: question {example_id!r} has an empty {what}.")
        answers = qa_answers(row.get(mapping.fields["answers"]), example_id, context or "", where,
                             impossible=row.get(mapping.fields["is_impossible"]))
        return {"answers": answers}

    return read


def qa_answers(value: Any, example_id: ExampleId, context: str, where: str, *, impossible: Any = None) -> dict[str, list]:
    """Validates one question's answers: every answer_start must point at its text in the context.

    Accepts SQuAD's list of {"text", "answer_start"} objects or the column form
    {"text": [...], "answer_start": [...]}.
    """
    if isinstance(value, list) and all(isinstance(a, dict) for a in value):
        value = {"text": [a.get("text") for a in value], "answer_start": [a.get("answer_start") for a in value]}
    if not isinstance(value, dict) or not isinstance(value.get("text"), list) or not isinstance(value.get("answer_start"), list):
        raise DatasetFormatError(
            f"{where}: question {example_id!r} has answers {value!r}; expected "
            f"{{\"text\": [...], \"answer_start\": [...]}} (empty lists for an unanswerable question)."
        )
    texts, starts = value["text"], value["answer_start"]
    if impossible and texts:
        raise DatasetFormatError(
            f"{where}: question {example_id!r} is marked is_impossible but lists answers; "
            f"SQuAD v2.0 keeps answers empty for unanswerable questions."
        )
    if len(texts) != len(starts):
        raise DatasetFormatError(f"{where}: question {example_id!r} has {len(texts)} answer texts but {len(starts)} answer_start values.")
    for text, start in zip(texts, starts):
        if not isinstance(text, str) or not text:
            raise DatasetFormatError(f"{where}: question {example_id!r} has an empty or non-text answer {text!r}.")
        if isinstance(start, bool) or not isinstance(start, int) or context[start : start + len(text)] != text:
            found = context.find(text)
            hint = f" (the text occurs at {found})" if found >= 0 else " (the text does not occur in the context)"
            raise DatasetFormatError(
                f"{where}: question {example_id!r}: answer_start {start!r} does not point at answer {text!r} in the context{hint}."
            )
    return {"text": list(texts), "answer_start": list(starts)}


def unanswerable_count(split: Split) -> int:
    return sum(1 for answers in split.field("answers") or [] if not answers["text"])
