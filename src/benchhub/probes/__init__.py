"""Probes: behavioural tests that take a benchmark's shortcuts away (perturbations, directional
expectations, template tests, QA distractors), plus calibration and slices.

Every probe turns a split into another split (`Perturbed`) that runs through the same engine as an
evaluation; nothing here runs a model.
"""
