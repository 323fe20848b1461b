"""The catalog: registering datasets and models, loading them, their fingerprints and optimized variants."""
