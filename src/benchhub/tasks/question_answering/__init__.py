"""Extractive question answering (SQuAD v1.1 / v2.0): data, models, decoding, exact scorers, baselines, probes."""
