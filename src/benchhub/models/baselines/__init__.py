"""Machinery every built-in baseline shares: saved parameters as JSON and .npz, never pickle."""
