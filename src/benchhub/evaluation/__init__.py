"""Evaluating: one model on one split (cached), predictions files, speed, probes, matrices."""
