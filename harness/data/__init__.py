"""The data area: schema and row parity between the legacy and the candidate database.

- `schema`: reflect PostgreSQL/SQLite into a canonical model (`model`, `types`, `sqltext`, `catalog`)
  and diff it by definition, each difference with a severity, allow-listable (`allowlist`);
- `rows`: compare tables by key with checksummed, bisected key ranges (`sides`) and per-column
  normalisation (`normalise`);
- `report`: the result schema of DESIGN.md (`data.json`); `cli`: the `harness data` commands.
"""
