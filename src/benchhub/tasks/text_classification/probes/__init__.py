"""Probes of text classification: invariance, direction and template tests."""
