"""Small OpenAPI documents for tests of reference resolution."""
from __future__ import annotations

from collections.abc import Mapping

OBJECT_X = {"X": "{type: object}"}


def ref_spec(ref: str, schemas: Mapping[str, str] = OBJECT_X) -> str:
    """An OpenAPI 3.1 document, as YAML text, with one operation (GET /a) whose 200 response's schema is
    `{$ref: ref}`, and `schemas` (name: YAML flow value, e.g. "{type: object}") under components.schemas."""
    components = "".join(f"    {name}: {value}\n" for name, value in schemas.items())
    return f"""openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "{ref}"}}
components:
  schemas:
{components}"""
