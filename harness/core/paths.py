"""Where the harness finds the files it reads by default: one name for each, resolved in one place.

    PROJECT      this checkout (the folder holding harness/, contracts/, scenarios/)
    CONTRACTS    contracts/: openapi.yaml, asyncapi.yaml, accepted-differences.yaml, narrowed-checks.yaml
    SHARED       the shared reference material beside the checkout (`../shared`), or HARNESS_SHARED
    LEGACY_API   SHARED/legacy-api: API.md, SCHEMA.md and the real clients' Postman collection
    ADVISORIES   SHARED/advisories: the offline snapshot of the PyPA advisory database
    SCENARIOS    scenarios/: the locust journeys, the load profiles and gates, the security gates and rules
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
CONTRACTS = PROJECT / "contracts"
SCENARIOS = PROJECT / "scenarios"
SHARED = Path(os.environ.get("HARNESS_SHARED") or PROJECT.parent / "shared")
LEGACY_API = SHARED / "legacy-api"
ADVISORIES = SHARED / "advisories"

OPENAPI = CONTRACTS / "openapi.yaml"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
ACCEPTED = CONTRACTS / "accepted-differences.yaml"
NARROWED = CONTRACTS / "narrowed-checks.yaml"
API_MD = LEGACY_API / "API.md"
SCHEMA_MD = LEGACY_API / "SCHEMA.md"
POSTMAN = LEGACY_API / "unpuzzle-postman-collection.json"
LOCUSTFILE = SCENARIOS / "locustfile.py"
LOAD_PROFILES = SCENARIOS / "profiles.toml"
LOAD_GATES = SCENARIOS / "gates.toml"
SECURITY_GATES = SCENARIOS / "security.toml"
