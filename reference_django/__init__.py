"""The reference Unpuzzle backend: Django 5.2 LTS + DRF + SimpleJWT on the legacy schema (API.md, SCHEMA.md)."""
