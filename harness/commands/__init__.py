"""The commands that are not areas: `harness seed`, `harness serve` and `harness replay` (mounted by
harness/cli.py). Each raises only core's errors, inside `harness_errors()`: one line, the documented exit code."""
