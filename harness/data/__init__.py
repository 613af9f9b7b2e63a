"""The data area: schema, row and migration parity between the legacy and the candidate database.

- `area`: registers the area (`harness verify`, `harness data`) and declares its settings; `cli`, `cli_paths`:
  the `harness data` click group and its commands;
- schema: `schema` reflects PostgreSQL/SQLite into the canonical model (`model`, `types`, `sqltext`,
  `catalog`); `schema_diff` compares two by definition, a visible list of checks, each difference with a
  severity; `allowlist` says what the data area's reviewed exceptions match on (loaded by core/reviewed.py);
- rows: `rows` drives the comparison of every table by key: `row_plan` (tables, keys, columns, options),
  `row_segments` (checksummed key ranges bisected down to single rows, the worker pools, the budgets),
  `row_compare` (the comparison of two sets of rows, without a database), `row_results`, `sides` (one table
  on one side), `normalise` (per-column normalisation);
- migration paths: `migrate` (copy and in-place, its visible CHECKS), `migrate_commands` (the candidate's
  manage.py), `migrate_databases` (clones, empty databases), `census` (counts, soft-deleted rows, orphans);
- blue-green window: `crosswrite`, `crosswrite_journey`, `rowdelta` (row snapshots with placeholders);
- `report`: the data area's results in the result schema; `connect`: opening a database in one line.
"""
