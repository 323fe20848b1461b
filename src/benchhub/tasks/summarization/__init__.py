"""Summarization: ROUGE equal to Google's rouge_score (the family's other parts come later)."""
