"""Language modeling: documents scored by their log-likelihood (word and byte perplexity, bits per byte), as
lm-evaluation-harness's `loglikelihood_rolling` scores them."""
