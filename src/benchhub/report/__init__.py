"""Shareable views of results: a self-contained HTML leaderboard report and Hugging Face model cards.

plotly and huggingface_hub load only when a report or card is made.
"""

from benchhub.report.card import card_yaml, model_card, model_index
from benchhub.report.files import write_atomically
from benchhub.report.html import accuracy_latency_figure, render_html

__all__ = ["accuracy_latency_figure", "card_yaml", "model_card", "model_index", "render_html", "write_atomically"]
