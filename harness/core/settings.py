"""What the settings mean: the keys of the core (top level and each target), the typed `Settings` and
`TargetSettings` they make (a target's merged keys pass `TARGET_CHECKS`), the areas' declared keys
(`AreaKeys`), and the one-line error for a bad one.

An area declares its table's keys with core's parsers and reads them typed, defaults applied, read-only:

    CONTRACT_SETTINGS = AreaKeys("contract", (Key("max_examples", integer(1), 5), Key("accepted", existing_file)))
    values = settings.area_settings(CONTRACT_SETTINGS)     # values["max_examples"], values["accepted"]

A bad key or value is a ConfigError (exit 2) of one line: `contract.max_examples = 0 (from harness.toml):
expected an integer >= 1`. A relative path is relative to the folder of the settings file that gave it.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.seed import SCALES

from . import parsers as p
from . import paths
from .errors import ConfigError
from .urlguard import UnsafeUrl, check_base_url, is_loopback_host

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


# -- the core's own keys -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CoreKey:
    """A top-level key or a target's key."""

    name: str
    parse: Callable[[Any], Any]
    kinds: frozenset[str] = frozenset(KINDS)
    from_env: Callable[[str], Any] | None = str  # None: tables and lists cannot come from the environment
    #: Settings of the app itself: dropped when a layer moves the target to another app (see config.py).
    belongs_to_app: bool = False


def _keys(*keys: CoreKey) -> dict[str, CoreKey]:
    return {key.name: key for key in keys}


WSGI, SPAWN, URL = frozenset({"wsgi"}), frozenset({"spawn"}), frozenset({"url"})
HTTP, APP = frozenset({"spawn", "url"}), frozenset({"wsgi", "spawn"})

TOP_KEYS = _keys(
    CoreKey("out", p.string),
    CoreKey("scale", p.choice(*SCALES)),
    CoreKey("seed", p.integer(0, what="a non-negative integer"), from_env=p.env_number),
    CoreKey("areas", p.string_list, from_env=p.env_list),
    CoreKey("json", p.boolean, from_env=p.env_bool),
    CoreKey("accepted", p.string),
)

TARGET_KEYS = _keys(
    CoreKey("kind", p.choice(*KINDS), belongs_to_app=True),
    CoreKey("app", p.import_string, APP, belongs_to_app=True),
    CoreKey("factory", p.boolean, WSGI, from_env=p.env_bool, belongs_to_app=True),
    CoreKey("app_config", p.app_config, WSGI, from_env=None, belongs_to_app=True),
    CoreKey("command", p.command, SPAWN, belongs_to_app=True),
    CoreKey("workers", p.integer(1, 64), SPAWN, from_env=p.env_number, belongs_to_app=True),
    CoreKey("host", p.loopback_host, SPAWN, belongs_to_app=True),
    CoreKey("port", p.integer(0, 65535, "a port number (0 picks a free one)"), SPAWN, from_env=p.env_number,
            belongs_to_app=True),
    CoreKey("url", p.http_url, URL, belongs_to_app=True),
    CoreKey("allow_remote", p.boolean, URL, from_env=p.env_bool, belongs_to_app=True),
    CoreKey("env", p.env_table, from_env=None, belongs_to_app=True),
    CoreKey("prepare", p.prepare, from_env=None, belongs_to_app=True),
    CoreKey("database_url", p.database_url),
    CoreKey("seed", p.boolean, from_env=p.env_bool),
    CoreKey("reset", p.boolean, from_env=p.env_bool),
    CoreKey("health_path", p.health_path),
    CoreKey("startup_timeout", p.seconds, HTTP, from_env=p.env_number),
    CoreKey("stop_timeout", p.seconds, SPAWN, from_env=p.env_number),
    CoreKey("request_timeout", p.seconds, HTTP, from_env=p.env_number),
)
#: Keys that say which app a target is: changing one moves the target to another app.
LOCATION_KEYS = ("kind", "app", "command", "url")
APP_KEYS = tuple(name for name, key in TARGET_KEYS.items() if key.belongs_to_app)


# -- the areas' keys -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Key:
    """A key of an area's table: its parser (harness/core/parsers.py) and its value when the table omits it."""

    name: str
    parse: Callable[[Any], Any] | p.PathParser
    default: Any = None

    def value(self, raw: Any, base: Path) -> Any:
        return self.parse(raw, base) if isinstance(self.parse, p.PathParser) else self.parse(raw)


@dataclass(frozen=True, slots=True)
class AreaKeys:
    """Every key of an area's table (`[tool.harness.<area>]`, or `[<area>]` in harness.toml)."""

    area: str
    keys: tuple[Key, ...]

    def names(self) -> list[str]:
        return sorted(key.name for key in self.keys)


# -- typed settings ------------------------------------------------------------------------------------------------

def bad_value(key: str, value: Any, expected: str, source: str) -> ConfigError:
    return ConfigError(f"{key} = {value!r} (from {source}): expected {expected}")


def _frozen() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class TargetSettings:
    """One side of the comparison, as configured (nothing started yet)."""

    name: str  # legacy | candidate
    kind: str  # wsgi | spawn | url
    app: str | None = None  # import string: module:attribute, or module:factory()
    factory: bool | None = None  # None: call the attribute when it is a plain function not shaped like a WSGI app
    app_config: Mapping[str, Any] = field(default_factory=_frozen)
    command: tuple[str, ...] = DEFAULT_COMMAND
    workers: int = 1
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, picked at start
    url: str | None = None
    allow_remote: bool = False
    env: Mapping[str, str] = field(default_factory=_frozen)
    prepare: tuple[tuple[str, ...], ...] = ()
    database_url: str | None = None  # None: a SQLite file in the target's folder (none for a url target)
    seed: bool = True
    reset: bool = False
    health_path: str = "/health"
    startup_timeout: float = 30.0
    stop_timeout: float = 10.0
    request_timeout: float = 30.0
    #: key -> where its value came from ("harness.toml", "HARNESS_LEGACY_APP", ...), for error messages.
    sources: Mapping[str, str] = field(default_factory=_frozen, compare=False, repr=False)

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
    #: the reviewed-exceptions file every area applies (harness/core/reviewed.py); the project's by default
    accepted: Path = paths.ACCEPTED
    source: str = DEFAULT_SOURCE  # the file the settings came from, if any
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=_frozen)
    section_sources: Mapping[str, str] = field(default_factory=_frozen, compare=False, repr=False)
    #: area -> the folder its table's relative paths are relative to (that of the file that gave the table)
    section_dirs: Mapping[str, Path] = field(default_factory=_frozen, compare=False, repr=False)
    sources: Mapping[str, str] = field(default_factory=_frozen, compare=False, repr=False)

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

    def area_settings(self, declared: AreaKeys) -> Mapping[str, Any]:
        """An area's table parsed by its declared keys: every key, typed, defaults applied, read-only.

        ConfigError (one line) for a key the area does not declare or a value its parser refuses."""
        table = self.section(declared.area)
        unknown = sorted(set(table) - set(declared.names()))
        if unknown:
            raise self.bad_setting(f"{declared.area}.{unknown[0]}", table[unknown[0]],
                                   f"one of {', '.join(declared.names())}")
        base = self.section_dirs.get(declared.area) or Path.cwd()
        return MappingProxyType({key.name: self._area_value(declared.area, key, table, base) for key in declared.keys})

    def _area_value(self, area: str, key: Key, table: Mapping[str, Any], base: Path) -> Any:
        if key.name not in table:
            return key.default
        try:
            return key.value(table[key.name], base)
        except p.Invalid as exc:
            raise self.bad_setting(f"{area}.{key.name}", table[key.name], str(exc)) from None


def is_loopback(host: str) -> bool:
    return is_loopback_host(host)  # one rule for the whole harness: harness/core/urlguard.py


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a template's placeholders (already checked at load time)."""
    return template.format_map(values)


# -- a target's merged keys -> TargetSettings ------------------------------------------------------------------

#: kind -> the keys one of which it needs, and what the first of them should be
REQUIRED = {
    "wsgi": (("app",), "an import string such as package.module:attribute"),
    "spawn": (("app", "command"), "an import string for gunicorn, or a command"),
    "url": (("url",), "a base URL"),
}


def target_settings(target: str, merged: Mapping[str, tuple[Any, str]]) -> TargetSettings:
    """The target's settings from its merged `key -> (value, source)`, after the checks of TARGET_CHECKS."""
    kind, kind_source = merged["kind"]
    _check_kinds(target, kind, merged)
    required, expected = REQUIRED[kind]
    if not any(name in merged for name in required):
        raise ConfigError(f"{target}.{required[0]} (from {kind_source}): missing; a {kind} target needs {expected}")
    values = {name: value for name, (value, _) in merged.items()}
    if kind == "url":
        values.setdefault("startup_timeout", 10.0)
    settings = TargetSettings(name=target, sources=MappingProxyType({n: s for n, (_, s) in merged.items()}),
                              **values)
    for check in TARGET_CHECKS:
        check(settings)
    return settings


def _check_kinds(target: str, kind: str, merged: Mapping[str, tuple[Any, str]]) -> None:
    for name, (_, source) in merged.items():
        if kind not in TARGET_KEYS[name].kinds:
            allowed = ", ".join(k for k in KINDS if k in TARGET_KEYS[name].kinds)
            raise ConfigError(f"{target}.{name} (from {source}): does not apply to a {kind} target "
                              f"(only to {allowed}); remove it or change {target}.kind")


def _check_templates(settings: TargetSettings) -> None:
    """Every template names only the placeholders of its target's kind."""
    allowed = PLACEHOLDERS[settings.kind]
    fields = [("command", part) for part in (settings.command if settings.kind == "spawn" else ())]
    fields += [("prepare", part) for step in settings.prepare for part in step]
    fields += [("env", value) for value in settings.env.values()]
    fields += [("app_config", value) for value in settings.app_config.values() if isinstance(value, str)]
    for key, template in fields:
        try:
            p.check_placeholders(template, allowed)
        except p.Invalid as exc:
            raise settings.bad(key, str(exc), template) from None


def _check_loopback_url(settings: TargetSettings) -> None:
    """A url target is on loopback unless allow_remote says otherwise."""
    if settings.kind != "url" or settings.allow_remote:
        return
    try:
        check_base_url(settings.url or "")
    except UnsafeUrl:
        raise settings.bad("url", f"a loopback URL (127.0.0.1, ::1 or localhost) unless {settings.name}.allow_remote "
                                  f"= true") from None


def ensure_importable_from_cwd() -> None:
    """Import strings name modules of the project being verified: look in the working directory first, as
    gunicorn and `flask run` do (the `harness` script's own folder is what Python puts on sys.path)."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _check_importable(settings: TargetSettings) -> None:
    """A wsgi target's module can be found (it is imported when the target starts)."""
    if settings.kind != "wsgi":
        return
    module = (settings.app or "").partition(":")[0]
    ensure_importable_from_cwd()
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise settings.bad("app", f"an importable module (no module named {module!r} from {os.getcwd()})")


TARGET_CHECKS: tuple[Callable[[TargetSettings], None], ...] = (_check_templates, _check_loopback_url,
                                                               _check_importable)
