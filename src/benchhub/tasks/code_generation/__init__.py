"""Code generation: completions run against hidden unit tests in a sandbox, scored by pass@k."""
