"""Weighted log-odds ratios with an informative Dirichlet prior ("Fightin' Words")."""

from __future__ import annotations

import numpy as np


def log_odds_z_scores(counts_a: np.ndarray, counts_b: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Returns each word's z-score for being more frequent in group a than in group b.

    Implements Monroe, Colaresi & Quinn (2008), "Fightin' Words", for word w
    with counts y_a, y_b, group sizes n_a, n_b, prior alpha_w and alpha_0 = sum(alpha):

        delta = log((y_a + alpha_w) / (n_a + alpha_0 - y_a - alpha_w))
              - log((y_b + alpha_w) / (n_b + alpha_0 - y_b - alpha_w))
        var   = 1 / (y_a + alpha_w) + 1 / (y_b + alpha_w)
        z     = delta / sqrt(var)

    Every prior entry must be positive and the prior must cover at least two words.
    """
    y_a = np.asarray(counts_a, dtype=np.float64)
    y_b = np.asarray(counts_b, dtype=np.float64)
    alpha = np.asarray(prior, dtype=np.float64)
    if not (y_a.shape == y_b.shape == alpha.shape) or y_a.ndim != 1:
        raise ValueError("counts_a, counts_b and prior must be 1-d arrays of the same length")
    if alpha.size < 2 or np.any(alpha <= 0):
        raise ValueError("prior must hold at least two words, every one with a positive weight")
    alpha_0 = alpha.sum()
    n_a = y_a.sum()
    n_b = y_b.sum()
    delta = np.log((y_a + alpha) / (n_a + alpha_0 - y_a - alpha)) - np.log(
        (y_b + alpha) / (n_b + alpha_0 - y_b - alpha)
    )
    variance = 1.0 / (y_a + alpha) + 1.0 / (y_b + alpha)
    return delta / np.sqrt(variance)
