"""Looking at results after the ranking: one evaluation's examples with their inputs, and two models compared."""
