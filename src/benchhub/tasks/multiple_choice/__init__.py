"""Multiple choice by log-likelihood: acc and acc_norm as lm-evaluation-harness defines them (the family's other parts come later)."""
