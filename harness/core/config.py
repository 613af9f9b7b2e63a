"""Settings of a harness run: where they come from and which wins (`load_settings`), the embedded default, and
the names the rest of the harness imports (what each setting means lives in settings.py, each value's parser in
parsers.py, the reading and merging of each place in layers.py).

Precedence, lowest to highest:
1. the embedded default (`DEFAULTS_TOML` below: both bundled apps in-process, each on its own SQLite file in
   the run's folder, seeded alike, in-memory caches);
2. one file: `--config FILE`, else `./harness.toml`, else the `[tool.harness]` table of `./pyproject.toml`;
3. the environment: `HARNESS_<KEY>` for the top-level keys (`HARNESS_OUT`, `HARNESS_SEED`, ...) and
   `HARNESS_<TARGET>_<KEY>` for a target's scalar keys (`HARNESS_LEGACY_DATABASE_URL`,
   `HARNESS_CANDIDATE_URL`, ...); other `HARNESS_*` names (the test suite's, say) are not settings;
4. the command line: `--out`, `--json`, and `--legacy`/`--candidate` (a loopback base URL or an import string).

Each layer sets keys over the one below, with one rule for targets: a layer that moves a target to another
app (a different `kind`, `app`, `command` or `url`) also drops the settings that belonged to the old app
(`factory`, `app_config`, `env`, `prepare`, `host`, `port`, ...) unless it sets them itself, so pointing the
candidate at another app never inherits, say, the Django migrations of the default candidate. A target's
database, seeding and timeouts carry over. Moving a target to one of the bundled apps (the embedded default's
`app` of that kind) with nothing else brings that app's default settings along: `--candidate
legacy_flask:create_app` compares the legacy app with itself, rate limits off on both.

Area settings live in their own tables (`[tool.harness.contract]`, ...). Each area declares its keys with
core's parsers (`AreaKeys`, `Key`) and reads them typed with `Settings.area_settings`; a relative path there
is relative to the folder of the file that gave it (the working directory for pyproject.toml and the default).
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .layers import Merged, cli_layer, env_layer, file_layer, profiles_of, table_layer, target_shorthand
from .parsers import DATABASE_PLACEHOLDERS, Invalid
from .settings import (
    DEFAULT_COMMAND,
    DEFAULT_SOURCE,
    KINDS,
    LOCATION_KEYS,
    PLACEHOLDERS,
    TARGET_KEYS,
    TARGETS,
    TOP_KEYS,
    AreaKeys,
    Key,
    Settings,
    TargetSettings,
    bad_value,
    ensure_importable_from_cwd,
    is_loopback,
    render,
)

__all__ = [
    "DATABASE_PLACEHOLDERS", "DEFAULTS_TOML", "DEFAULT_COMMAND", "DEFAULT_SOURCE", "KINDS", "LOCATION_KEYS",
    "PLACEHOLDERS", "TARGETS", "TARGET_KEYS", "TOP_KEYS", "AreaKeys", "Invalid", "Key", "Settings", "TargetSettings",
    "bad_value", "ensure_importable_from_cwd", "is_loopback", "load_settings", "render", "target_shorthand",
]

#: The embedded default, written as the harness.toml that would configure it (harness.example.toml explains
#: every key). `{target_dir}` is the target's folder inside the run's folder.
DEFAULTS_TOML = """
out = "reports"
scale = "small"
seed = 0

[legacy]
kind = "wsgi"
app = "legacy_flask:create_app"

# The factory takes its settings as a mapping and creates the schema on start. Signups hash at the seed's
# PBKDF2 cost so that a run measures the framework rather than the hash.
[legacy.app_config]
RATELIMIT_ENABLED = false
REDIS_URL = ""
UPLOAD_ROOT = "{target_dir}/uploads"
PASSWORD_HASH_METHOD = "pbkdf2:sha256:10000"

[candidate]
kind = "wsgi"
app = "reference_django.config.wsgi:application"
prepare = ["{python} -m reference_django.manage migrate --noinput"]

[candidate.env]
DJANGO_SETTINGS_MODULE = "reference_django.config.settings.base"
RATELIMIT_ENABLED = "0"
REDIS_URL = ""
UPLOAD_ROOT = "{target_dir}/uploads"
PASSWORD_HASH_METHOD = "pbkdf2:sha256:10000"
"""


def load_settings(config: Path | None = None, *, environ: Mapping[str, str] | None = None,
                  options: Mapping[str, Any] | None = None, cwd: Path | None = None) -> Settings:
    """Settings from every layer (see the module docstring); ConfigError names the first bad one.

    `options` holds the command line's values: `out`, `json`, `legacy`, `candidate` (None: not given).
    """
    cwd = cwd or Path.cwd()
    defaults = table_layer(tomllib.loads(DEFAULTS_TOML), DEFAULT_SOURCE, cwd)
    settings_file = file_layer(config, cwd)
    layers = [defaults, settings_file, env_layer(os.environ if environ is None else environ, cwd),
              cli_layer(options or {}, cwd)]
    merged = Merged(cwd=cwd, profiles=profiles_of(defaults))
    for layer in layers:
        if layer is not None:
            merged.add(layer)
    return merged.settings(settings_file.source if settings_file else DEFAULT_SOURCE)
