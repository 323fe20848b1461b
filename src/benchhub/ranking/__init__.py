"""Ranking: leaderboards with baselines and paired tests, slices, rankings across datasets, reports."""
