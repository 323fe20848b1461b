"""Generative answers: short-answer questions and math word problems, scored by exact match and token F1."""
