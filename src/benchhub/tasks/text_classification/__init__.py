"""Text classification: label data, classifiers, exact metrics, baselines and text probes."""
