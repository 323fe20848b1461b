"""Language modeling: word and byte perplexity and bits per byte as lm-evaluation-harness computes them (the family's other parts come later)."""
