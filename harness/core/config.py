"""Settings of a harness run: where they come from, what they mean, and the one-line error for each bad one.

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

Area settings live in their own tables (`[tool.harness.contract]`, ...); the core keeps them raw
(`Settings.section(name)`) and each area checks its own with `Settings.bad_setting`.
"""
from __future__ import annotations

import importlib.util
import os
import shlex
import string
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from harness.seed import SCALES

from .errors import ConfigError
from .urlguard import UnsafeUrl, check_base_url, is_loopback_host

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
app_config = { RATELIMIT_ENABLED = false, REDIS_URL = "", UPLOAD_ROOT = "{target_dir}/uploads", PASSWORD_HASH_METHOD = "pbkdf2:sha256:10000" }

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

TARGETS = ("legacy", "candidate")
KINDS = ("wsgi", "spawn", "url")
DEFAULT_SOURCE = "built-in defaults"
DEFAULT_COMMAND = ("{python}", "-m", "gunicorn", "--bind", "{host}:{port}", "--workers", "{workers}",
                   "--access-logfile", "-", "{app}")
#: Placeholders a target's command, prepare steps, env values, app_config strings and database URL may use.
PLACEHOLDERS = {
    "wsgi": frozenset({"python", "app", "database_url", "target_dir", "run_dir"}),
    "spawn": frozenset({"python", "app", "database_url", "target_dir", "run_dir", "host", "port", "workers"}),
    "url": frozenset({"python", "database_url", "target_dir", "run_dir", "url"}),
}
DATABASE_PLACEHOLDERS = frozenset({"target_dir", "run_dir"})


class Invalid(ValueError):
    """A value a parser refuses; the message says what was expected."""


# -- value parsers: raw TOML value -> typed value (or Invalid) -----------------------------------------------

def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("a non-empty string")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def _integer(low: int, high: int | None = None, what: str = "an integer") -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise Invalid(what)
        return value
    return parse


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise Invalid("a positive number of seconds")
    return float(value)


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"one of {', '.join(choices)}")
        return value
    return parse


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid("a list of non-empty strings")
    return tuple(value)


def _import_string(value: Any) -> str:
    module, colon, attribute = value.partition(":") if isinstance(value, str) else ("", "", "")
    names = [*module.split("."), attribute.removesuffix("()")]
    if not colon or not all(name.isidentifier() for name in names):
        raise Invalid("an import string such as package.module:attribute (or package.module:factory())")
    return value


def _command(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise Invalid(f"a shell-quoted command line ({exc})") from None
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        argv = list(value)
    else:
        raise Invalid("a command line (a string or a list of strings)")
    if not argv:
        raise Invalid("a non-empty command line")
    return tuple(argv)


def _prepare(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise Invalid("a list of command lines")
    return tuple(_command(step) for step in value)


def _http_url(value: Any) -> str:
    # The URL guard's checks but the loopback rule, which `_check_target` applies once allow_remote is known.
    if not isinstance(value, str):
        raise Invalid("an http:// or https:// base URL such as http://127.0.0.1:8000")
    try:
        return check_base_url(value, allow_remote=True)
    except UnsafeUrl as exc:
        raise Invalid(f"an http:// or https:// base URL such as http://127.0.0.1:8000 ({exc})") from None


def _loopback_host(value: Any) -> str:
    if not isinstance(value, str) or not is_loopback(value):
        raise Invalid("a loopback address (127.0.0.1, ::1 or localhost): the harness listens on loopback only")
    return value


def _database_url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("a database URL such as sqlite:///path.sqlite3 or postgresql://user@127.0.0.1/db")
    _placeholders(value, DATABASE_PLACEHOLDERS)
    try:
        sa.engine.make_url(value.format_map({name: "x" for name in DATABASE_PLACEHOLDERS}))
    except (sa.exc.ArgumentError, ValueError):
        raise Invalid("a database URL such as sqlite:///path.sqlite3 or postgresql://user@127.0.0.1/db") from None
    return value


def _health_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise Invalid("a path starting with /, such as /health")
    return value


def _env_table(value: Any) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise Invalid("a table of environment variables")
    env = {}
    for name, raw in value.items():
        if isinstance(raw, bool):
            env[name] = "1" if raw else "0"
        elif isinstance(raw, str | int | float):
            env[name] = str(raw)
        else:
            raise Invalid(f"a table of environment variables with string values ({name} is not one)")
    return MappingProxyType(env)


def _app_config(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("a table of settings passed to the app factory")
    return MappingProxyType(dict(value))


# -- parsers of environment strings into TOML-like values -----------------------------------------------------

def _env_bool(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    return raw  # the TOML parser then says what a boolean looks like


def _env_number(raw: str) -> Any:
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


def _env_list(raw: str) -> Any:
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class Key:
    name: str
    parse: Callable[[Any], Any]
    kinds: frozenset[str] = frozenset(KINDS)
    from_env: Callable[[str], Any] | None = str  # None: tables and lists cannot come from the environment
    #: Settings of the app itself: dropped when a layer moves the target to another app (see the docstring).
    belongs_to_app: bool = False


TOP_KEYS = {key.name: key for key in (
    Key("out", _string),
    Key("scale", _choice(*SCALES)),
    Key("seed", _integer(0, what="a non-negative integer"), from_env=_env_number),
    Key("areas", _string_list, from_env=_env_list),
    Key("json", _boolean, from_env=_env_bool),
)}

TARGET_KEYS = {key.name: key for key in (
    Key("kind", _choice(*KINDS), belongs_to_app=True),
    Key("app", _import_string, frozenset({"wsgi", "spawn"}), belongs_to_app=True),
    Key("factory", _boolean, frozenset({"wsgi"}), from_env=_env_bool, belongs_to_app=True),
    Key("app_config", _app_config, frozenset({"wsgi"}), from_env=None, belongs_to_app=True),
    Key("command", _command, frozenset({"spawn"}), belongs_to_app=True),
    Key("workers", _integer(1, 64, "an integer from 1 to 64"), frozenset({"spawn"}), from_env=_env_number,
        belongs_to_app=True),
    Key("host", _loopback_host, frozenset({"spawn"}), belongs_to_app=True),
    Key("port", _integer(0, 65535, "a port number (0 picks a free one)"), frozenset({"spawn"}),
        from_env=_env_number, belongs_to_app=True),
    Key("url", _http_url, frozenset({"url"}), belongs_to_app=True),
    Key("allow_remote", _boolean, frozenset({"url"}), from_env=_env_bool, belongs_to_app=True),
    Key("env", _env_table, from_env=None, belongs_to_app=True),
    Key("prepare", _prepare, from_env=None, belongs_to_app=True),
    Key("database_url", _database_url),
    Key("seed", _boolean, from_env=_env_bool),
    Key("reset", _boolean, from_env=_env_bool),
    Key("health_path", _health_path),
    Key("startup_timeout", _seconds, frozenset({"spawn", "url"}), from_env=_env_number),
    Key("stop_timeout", _seconds, frozenset({"spawn"}), from_env=_env_number),
    Key("request_timeout", _seconds, frozenset({"spawn", "url"}), from_env=_env_number),
)}
LOCATION_KEYS = ("kind", "app", "command", "url")


@dataclass(frozen=True, slots=True)
class TargetSettings:
    """One side of the comparison, as configured (nothing started yet)."""

    name: str  # legacy | candidate
    kind: str  # wsgi | spawn | url
    app: str | None = None  # import string: module:attribute, or module:factory()
    factory: bool | None = None  # None: call the attribute when it is a plain function not shaped like a WSGI app
    app_config: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    command: tuple[str, ...] = DEFAULT_COMMAND
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, picked at start
    url: str | None = None
    allow_remote: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prepare: tuple[tuple[str, ...], ...] = ()
    database_url: str | None = None  # None: a SQLite file in the target's folder (none for a url target)
    seed: bool = True
    reset: bool = False
    health_path: str = "/health"
    startup_timeout: float = 30.0
    stop_timeout: float = 10.0
    request_timeout: float = 30.0
    #: key -> where its value came from ("harness.toml", "HARNESS_LEGACY_APP", ...), for error messages.
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def bad(self, key: str, expected: str, value: Any = None) -> ConfigError:
        """The one-line error for this target's `key` (its configured value unless `value` is given)."""
        shown = getattr(self, key) if value is None else value
        return bad_value(f"{self.name}.{key}", shown, expected, self.sources.get(key, DEFAULT_SOURCE))


@dataclass(frozen=True, slots=True)
class Settings:
    out: Path
    scale: str
    seed: int
    legacy: TargetSettings
    candidate: TargetSettings
    areas: tuple[str, ...] | None = None  # None: every registered area
    json: bool = False
    source: str = DEFAULT_SOURCE  # the file the settings came from, if any
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    section_sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False,
                                               repr=False)
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)

    def target(self, name: str) -> TargetSettings:
        return {"legacy": self.legacy, "candidate": self.candidate}[name]

    def section(self, name: str) -> Mapping[str, Any]:
        """An area's own table (`[tool.harness.<name>]`), raw; empty when absent."""
        return self.sections.get(name, MappingProxyType({}))

    def bad_setting(self, key: str, value: Any, expected: str) -> ConfigError:
        """The one-line error for a setting: `key` is dotted (`areas`, `contract.max_examples`)."""
        head = key.split(".", 1)[0]
        source = self.section_sources.get(head) or self.sources.get(key, DEFAULT_SOURCE)
        return bad_value(key, value, expected, source)


def bad_value(key: str, value: Any, expected: str, source: str) -> ConfigError:
    return ConfigError(f"{key} = {value!r} (from {source}): expected {expected}")


def is_loopback(host: str) -> bool:
    return is_loopback_host(host)  # one rule for the whole harness: harness/core/urlguard.py


def _placeholders(template: str, allowed: frozenset[str]) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        raise Invalid("a template whose literal braces are doubled ({{ and }})") from None
    unknown = sorted(name for name in names if name not in allowed)
    if unknown:
        raise Invalid(f"placeholders among {', '.join('{' + n + '}' for n in sorted(allowed))} "
                      f"(not {', '.join('{' + n + '}' for n in unknown)})")


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a template's placeholders (already checked at load time)."""
    return template.format_map(values)


# -- layers -----------------------------------------------------------------------------------------------------

@dataclass
class _Layer:
    source: str
    base_dir: Path
    top: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per-key source where it differs from `source` (environment variables name themselves)
    key_sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, key: str) -> str:
        return self.key_sources.get(key, self.source)


def _parse(key: Key, dotted: str, value: Any, source: str) -> Any:
    try:
        return key.parse(value)
    except Invalid as exc:
        raise bad_value(dotted, value, str(exc), source) from None


def _unknown(dotted: str, source: str, known: Mapping[str, Any]) -> ConfigError:
    return ConfigError(f"{dotted} (from {source}): unknown key; expected one of {', '.join(known)}")


def _table_layer(data: Mapping[str, Any], source: str, base_dir: Path) -> _Layer:
    layer = _Layer(source=source, base_dir=base_dir)
    for name, value in data.items():
        if name in TARGETS:
            if not isinstance(value, dict):
                raise bad_value(name, value, "a table of target settings", source)
            layer.targets[name] = {}
            for key_name, raw in value.items():
                key = TARGET_KEYS.get(key_name)
                if key is None:
                    raise _unknown(f"{name}.{key_name}", source, TARGET_KEYS)
                layer.targets[name][key_name] = _parse(key, f"{name}.{key_name}", raw, source)
        elif name in TOP_KEYS:
            layer.top[name] = _parse(TOP_KEYS[name], name, value, source)
        elif isinstance(value, dict):
            layer.sections[name] = value  # an area's table: the area checks it
        else:
            raise _unknown(name, source, {**TOP_KEYS, **dict.fromkeys(TARGETS)})
    return layer


def _env_layer(environ: Mapping[str, str], cwd: Path) -> _Layer:
    layer = _Layer(source="the environment", base_dir=cwd)

    def parse(key: Key, dotted: str, variable: str) -> Any:
        assert key.from_env is not None
        layer.key_sources[dotted] = variable
        return _parse(key, dotted, key.from_env(environ[variable]), variable)

    for key in TOP_KEYS.values():
        variable = f"HARNESS_{key.name.upper()}"
        if variable in environ:
            layer.top[key.name] = parse(key, key.name, variable)
    for target in TARGETS:
        for key in TARGET_KEYS.values():
            variable = f"HARNESS_{target.upper()}_{key.name.upper()}"
            if key.from_env is not None and variable in environ:
                layer.targets.setdefault(target, {})[key.name] = parse(key, f"{target}.{key.name}", variable)
    return layer


def target_shorthand(value: str) -> dict[str, Any]:
    """`--legacy`/`--candidate`: a base URL makes a url target, an import string an in-process wsgi target."""
    if "://" in value:
        return {"url": _http_url(value)}
    return {"kind": "wsgi", "app": _import_string(value)}


def _cli_layer(options: Mapping[str, Any], cwd: Path) -> _Layer:
    layer = _Layer(source="the command line", base_dir=cwd)
    if options.get("out") is not None:
        layer.top["out"] = str(options["out"])
        layer.key_sources["out"] = "--out"
    if options.get("json"):
        layer.top["json"] = True
        layer.key_sources["json"] = "--json"
    for target in TARGETS:
        value = options.get(target)
        if value is None:
            continue
        try:
            layer.targets[target] = target_shorthand(value)
        except Invalid as exc:
            reason = f" ({str(exc).split(' (', 1)[1]}" if "://" in value and " (" in str(exc) else ""
            raise bad_value(f"--{target}", value, "a loopback http(s) base URL or an import string "
                            f"such as package.module:attribute{reason}", f"--{target}") from None
        for key in layer.targets[target]:
            layer.key_sources[f"{target}.{key}"] = f"--{target}"
    return layer


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def _file_layer(config: Path | None, cwd: Path) -> _Layer | None:
    """The one settings file in use: --config, else ./harness.toml, else [tool.harness] of ./pyproject.toml."""
    if config is not None:
        path = config if config.is_absolute() else cwd / config
        if not path.is_file():
            raise bad_value("--config", str(config), "an existing TOML file", "--config")
        return _table_layer(_read_toml(path, str(config)), str(config), path.parent)
    if (cwd / "harness.toml").is_file():
        return _table_layer(_read_toml(cwd / "harness.toml", "harness.toml"), "harness.toml", cwd)
    if (cwd / "pyproject.toml").is_file():
        tool = _read_toml(cwd / "pyproject.toml", "pyproject.toml").get("tool", {})
        if isinstance(tool, dict) and "harness" in tool:
            if not isinstance(tool["harness"], dict):
                raise bad_value("tool.harness", tool["harness"], "a table", "pyproject.toml")
            return _table_layer(tool["harness"], "pyproject.toml [tool.harness]", cwd)
    return None


# -- merging and checking --------------------------------------------------------------------------------------

def _merge_target(current: dict[str, tuple[Any, str]], layer: _Layer, target: str,
                  profiles: Mapping[tuple[str, str], dict[str, Any]]) -> None:
    given = dict(layer.targets.get(target, {}))
    if not given:
        return
    moved = any(key in given and (key not in current or current[key][0] != given[key]) for key in LOCATION_KEYS)
    if moved:
        if "kind" not in given:  # the kind the layer means: a url or a command says it, an app keeps wsgi/spawn
            old = current.get("kind", ("wsgi", ""))[0]
            given["kind"] = ("url" if "url" in given else "spawn" if "command" in given
                             else old if old in {"wsgi", "spawn"} else "wsgi")
            implied_by = next(key for key in ("url", "command", "app") if key in given)
            layer.key_sources.setdefault(f"{target}.kind", layer.source_of(f"{target}.{implied_by}"))
        for name, key in TARGET_KEYS.items():
            if key.belongs_to_app and name not in given:
                current.pop(name, None)
        # An app the embedded default knows (a bundled app) comes with its default settings, wherever it is put.
        profile = profiles.get((given["kind"], given.get("app", "")), {})
        if not any(TARGET_KEYS[name].belongs_to_app for name in given if name not in {"kind", "app"}):
            for name, value in profile.items():
                current[name] = (value, DEFAULT_SOURCE)
    for name, value in given.items():
        current[name] = (value, layer.source_of(f"{target}.{name}"))


def _check_target(target: str, merged: dict[str, tuple[Any, str]]) -> TargetSettings:
    kind, kind_source = merged["kind"]
    for name, (value, source) in merged.items():
        if kind not in TARGET_KEYS[name].kinds:
            allowed = ", ".join(k for k in KINDS if k in TARGET_KEYS[name].kinds)
            raise ConfigError(f"{target}.{name} (from {source}): does not apply to a {kind} target "
                              f"(only to {allowed}); remove it or change {target}.kind")
    required = {"wsgi": ("app",), "spawn": ("app", "command"), "url": ("url",)}[kind]
    if not any(name in merged for name in required):
        expected = {"wsgi": "an import string such as package.module:attribute",
                    "spawn": "an import string for gunicorn, or a command", "url": "a base URL"}[kind]
        raise ConfigError(f"{target}.{required[0]} (from {kind_source}): missing; a {kind} target needs "
                          f"{expected}")
    values = {name: value for name, (value, _) in merged.items()}
    sources = {name: source for name, (_, source) in merged.items()}
    if kind == "url":
        values.setdefault("startup_timeout", 10.0)
    settings = TargetSettings(name=target, sources=MappingProxyType(sources), **values)
    _check_templates(settings)
    if kind == "url" and not settings.allow_remote:
        try:
            check_base_url(settings.url or "")
        except UnsafeUrl:
            raise settings.bad("url", f"a loopback URL (127.0.0.1, ::1 or localhost) unless {target}.allow_remote "
                                      f"= true") from None
    if kind == "wsgi":
        _check_importable(settings)
    return settings


def _check_templates(settings: TargetSettings) -> None:
    allowed = PLACEHOLDERS[settings.kind]
    fields = [("command", part) for part in (settings.command if settings.kind == "spawn" else ())]
    fields += [("prepare", part) for step in settings.prepare for part in step]
    fields += [("env", value) for value in settings.env.values()]
    fields += [("app_config", value) for value in settings.app_config.values() if isinstance(value, str)]
    for key, template in fields:
        try:
            _placeholders(template, allowed)
        except Invalid as exc:
            raise settings.bad(key, str(exc), template) from None


def ensure_importable_from_cwd() -> None:
    """Import strings name modules of the project being verified: look in the working directory first, as
    gunicorn and `flask run` do (the `harness` script's own folder is what Python puts on sys.path)."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _check_importable(settings: TargetSettings) -> None:
    module = (settings.app or "").partition(":")[0]
    ensure_importable_from_cwd()
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise settings.bad("app", f"an importable module (no module named {module!r} from {os.getcwd()})")


def load_settings(config: Path | None = None, *, environ: Mapping[str, str] | None = None,
                  options: Mapping[str, Any] | None = None, cwd: Path | None = None) -> Settings:
    """Settings from every layer (see the module docstring); ConfigError names the first bad one.

    `options` holds the command line's values: `out`, `json`, `legacy`, `candidate` (None: not given).
    """
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    defaults = _table_layer(tomllib.loads(DEFAULTS_TOML), DEFAULT_SOURCE, cwd)
    profiles = {(table["kind"], table["app"]): {k: v for k, v in table.items() if TARGET_KEYS[k].belongs_to_app}
                for table in defaults.targets.values()}
    layers = [defaults]
    file_layer = _file_layer(config, cwd)
    if file_layer is not None:
        layers.append(file_layer)
    layers += [_env_layer(environ, cwd), _cli_layer(options or {}, cwd)]

    top: dict[str, tuple[Any, str]] = {}
    out_base = cwd
    targets: dict[str, dict[str, tuple[Any, str]]] = {name: {} for name in TARGETS}
    sections: dict[str, dict[str, Any]] = {}
    section_sources: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.top.items():
            top[name] = (value, layer.source_of(name))
            if name == "out":
                out_base = layer.base_dir  # a relative out in a file is relative to that file
        for name in TARGETS:
            _merge_target(targets[name], layer, name, profiles)
        for name, table in layer.sections.items():
            sections[name] = {**sections.get(name, {}), **table}
            section_sources[name] = layer.source

    checked = {name: _check_target(name, merged) for name, merged in targets.items()}
    out = Path(top["out"][0])
    return Settings(
        out=out if out.is_absolute() else (out_base / out).resolve(),
        scale=top["scale"][0], seed=top["seed"][0],
        areas=top["areas"][0] if "areas" in top else None,
        json=top["json"][0] if "json" in top else False,
        legacy=checked["legacy"], candidate=checked["candidate"],
        source=file_layer.source if file_layer else DEFAULT_SOURCE,
        sections=MappingProxyType({k: MappingProxyType(v) for k, v in sections.items()}),
        section_sources=MappingProxyType(section_sources),
        sources=MappingProxyType({name: source for name, (_, source) in top.items()}),
    )
