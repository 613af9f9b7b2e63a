"""The contract area: API contract parity between legacy and candidate.

- `area`: registers the area and declares its settings; `cli`: the `harness contract` click group (`diff`);
- `gate`: runs the case sources through the fan-out and turns the run into the area result, a visible tuple
  of checks; the sources: `conformance` (schemathesis), `states`, `edges`, the probes and the Postman flow;
- `fanout` (one request to every side), `idmap` (ids and tokens mapped across sides), `noise` (Diffy's noise
  cancellation over harness/http/compare.py's differences), `routes` (route coverage), `accepted` (what the
  area's reviewed exceptions match on), `asyncapi` (the Socket.IO contract), `specdiff/` (OpenAPI change rules).
"""
