"""Probes of extractive QA: distractors, answer-sentence shifts and removals."""
