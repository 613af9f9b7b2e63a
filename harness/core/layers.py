"""Where settings come from: one `Layer` per place (the embedded default, the settings file, the environment,
the command line), each checked key by key as it is read, and `Merged`, the layers set one over another.

Targets merge by one rule of their own: a layer that moves a target to another app (a different `kind`, `app`,
`command` or `url`) drops the settings that belonged to the old app (`APP_KEYS`) unless it sets them itself,
and an app the embedded default knows brings that default's settings along (config.py says more).
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import parsers as p
from .errors import ConfigError
from .paths import ACCEPTED
from .settings import (
    APP_KEYS,
    DEFAULT_SOURCE,
    LOCATION_KEYS,
    TARGET_KEYS,
    TARGETS,
    TOP_KEYS,
    CoreKey,
    Settings,
    bad_value,
    target_settings,
)

#: A target's keys as merged so far: key -> (value, where it came from).
Merging = dict[str, tuple[Any, str]]
#: (kind, app) of each target of the embedded default -> that app's own settings.
Profiles = Mapping[tuple[str, str], Mapping[str, Any]]


@dataclass
class Layer:
    source: str
    base_dir: Path  # the folder a relative path in this layer is relative to
    top: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per-key source where it differs from `source` (environment variables name themselves)
    key_sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, key: str) -> str:
        return self.key_sources.get(key, self.source)


def _parse(key: CoreKey, dotted: str, value: Any, source: str) -> Any:
    try:
        return key.parse(value)
    except p.Invalid as exc:
        raise bad_value(dotted, value, str(exc), source) from None


def _unknown(dotted: str, source: str, known: Mapping[str, Any]) -> ConfigError:
    return ConfigError(f"{dotted} (from {source}): unknown key; expected one of {', '.join(known)}")


# -- reading each place --------------------------------------------------------------------------------------------

def table_layer(data: Mapping[str, Any], source: str, base_dir: Path) -> Layer:
    """A layer from a TOML table: top-level keys, target tables, and the areas' tables (kept raw)."""
    layer = Layer(source=source, base_dir=base_dir)
    for name, value in data.items():
        if name in TARGETS:
            layer.targets[name] = _target_table(name, value, source)
        elif name in TOP_KEYS:
            layer.top[name] = _parse(TOP_KEYS[name], name, value, source)
        elif isinstance(value, dict):
            layer.sections[name] = value  # an area's table: the area declares its keys
        else:
            raise _unknown(name, source, {**TOP_KEYS, **dict.fromkeys(TARGETS)})
    return layer


def _target_table(target: str, table: Any, source: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise bad_value(target, table, "a table of target settings", source)
    parsed = {}
    for name, raw in table.items():
        key = TARGET_KEYS.get(name)
        if key is None:
            raise _unknown(f"{target}.{name}", source, TARGET_KEYS)
        parsed[name] = _parse(key, f"{target}.{name}", raw, source)
    return parsed


def env_layer(environ: Mapping[str, str], cwd: Path) -> Layer:
    """`HARNESS_<KEY>` for the top-level keys, `HARNESS_<TARGET>_<KEY>` for a target's scalar keys."""
    layer = Layer(source="the environment", base_dir=cwd)

    def parse(key: CoreKey, dotted: str, variable: str) -> Any:
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
        return {"url": p.http_url(value)}
    return {"kind": "wsgi", "app": p.import_string(value)}


def cli_layer(options: Mapping[str, Any], cwd: Path) -> Layer:
    """`--out`, `--json`, `--legacy` and `--candidate` (None or absent: not given)."""
    layer = Layer(source="the command line", base_dir=cwd)
    if options.get("out") is not None:
        layer.top["out"] = str(options["out"])
        layer.key_sources["out"] = "--out"
    if options.get("json"):
        layer.top["json"] = True
        layer.key_sources["json"] = "--json"
    for target in TARGETS:
        if options.get(target) is not None:
            layer.targets[target] = _target_option(target, options[target])
            layer.key_sources.update({f"{target}.{key}": f"--{target}" for key in layer.targets[target]})
    return layer


def _target_option(target: str, value: str) -> dict[str, Any]:
    try:
        return target_shorthand(value)
    except p.Invalid as exc:
        reason = f" ({str(exc).split(' (', 1)[1]}" if "://" in value and " (" in str(exc) else ""
        raise bad_value(f"--{target}", value, "a loopback http(s) base URL or an import string "
                        f"such as package.module:attribute{reason}", f"--{target}") from None


def read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None


def file_layer(config: Path | None, cwd: Path) -> Layer | None:
    """The one settings file in use: --config, else ./harness.toml, else [tool.harness] of ./pyproject.toml."""
    if config is not None:
        path = config if config.is_absolute() else cwd / config
        if not path.is_file():
            raise bad_value("--config", str(config), "an existing TOML file", "--config")
        return table_layer(read_toml(path, str(config)), str(config), path.parent)
    if (cwd / "harness.toml").is_file():
        return table_layer(read_toml(cwd / "harness.toml", "harness.toml"), "harness.toml", cwd)
    if (cwd / "pyproject.toml").is_file():
        return _pyproject_layer(read_toml(cwd / "pyproject.toml", "pyproject.toml"), cwd)
    return None


def _pyproject_layer(pyproject: Mapping[str, Any], cwd: Path) -> Layer | None:
    tool = pyproject.get("tool", {})
    if not isinstance(tool, dict) or "harness" not in tool:
        return None
    if not isinstance(tool["harness"], dict):
        raise bad_value("tool.harness", tool["harness"], "a table", "pyproject.toml")
    return table_layer(tool["harness"], "pyproject.toml [tool.harness]", cwd)


# -- one layer over another ----------------------------------------------------------------------------------------

def profiles_of(defaults: Layer) -> Profiles:
    """The embedded default's apps, each with its own settings, which it brings wherever it is put."""
    return {(table["kind"], table["app"]): {name: value for name, value in table.items() if name in APP_KEYS}
            for table in defaults.targets.values()}


def merge_target(current: Merging, layer: Layer, target: str, profiles: Profiles) -> None:
    """Set `layer`'s keys of `target` over `current`, by the moving rule of the module docstring."""
    given = dict(layer.targets.get(target, {}))
    if not given:
        return
    if _moves(current, given):
        _move(current, given, layer, target, profiles)
    for name, value in given.items():
        current[name] = (value, layer.source_of(f"{target}.{name}"))


def _moves(current: Merging, given: Mapping[str, Any]) -> bool:
    return any(key in given and (key not in current or current[key][0] != given[key]) for key in LOCATION_KEYS)


def _implied_kind(given: Mapping[str, Any], old: str) -> str:
    """The kind a layer means when it moves a target without naming one: a url or a command says it, an app
    keeps a wsgi or spawn target as it is."""
    if "url" in given:
        return "url"
    if "command" in given:
        return "spawn"
    return old if old in {"wsgi", "spawn"} else "wsgi"


def _move(current: Merging, given: dict[str, Any], layer: Layer, target: str, profiles: Profiles) -> None:
    if "kind" not in given:
        given["kind"] = _implied_kind(given, current.get("kind", ("wsgi", ""))[0])
        implied_by = next(key for key in ("url", "command", "app") if key in given)
        layer.key_sources.setdefault(f"{target}.kind", layer.source_of(f"{target}.{implied_by}"))
    for name in APP_KEYS:
        if name not in given:
            current.pop(name, None)
    if not any(name in APP_KEYS for name in given if name not in {"kind", "app"}):
        # An app the embedded default knows (a bundled app) comes with its default settings, wherever it is put.
        profile = profiles.get((given["kind"], given.get("app", "")), {})
        current.update({name: (value, DEFAULT_SOURCE) for name, value in profile.items()})


#: Top-level keys that are paths: relative to the folder of the settings file that set them.
PATH_KEYS = frozenset({"out", "accepted"})


@dataclass
class Merged:
    """The layers so far, one over another (`add` each, lowest first), and the Settings they make."""

    cwd: Path
    profiles: Profiles
    top: Merging = field(default_factory=dict)
    #: top-level path key -> the folder of the layer that set it (a relative path in a file is relative to it)
    path_bases: dict[str, Path] = field(default_factory=dict)
    targets: dict[str, Merging] = field(default_factory=lambda: {name: {} for name in TARGETS})
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    section_sources: dict[str, str] = field(default_factory=dict)
    section_dirs: dict[str, Path] = field(default_factory=dict)

    def add(self, layer: Layer) -> None:
        for name, value in layer.top.items():
            self.top[name] = (value, layer.source_of(name))
        for name in PATH_KEYS & set(layer.top):
            self.path_bases[name] = layer.base_dir
        for name in TARGETS:
            merge_target(self.targets[name], layer, name, self.profiles)
        for name, table in layer.sections.items():
            self.sections[name] = {**self.sections.get(name, {}), **table}
            self.section_sources[name] = layer.source
            self.section_dirs[name] = layer.base_dir

    def value(self, name: str, default: Any = None) -> Any:
        return self.top[name][0] if name in self.top else default

    def path(self, name: str, default: Path | None = None) -> Path:
        """A top-level path, relative to the folder of the layer that set it (`default` when none did)."""
        if name not in self.top:
            assert default is not None
            return default
        path = Path(self.value(name))
        return path if path.is_absolute() else ((self.path_bases.get(name) or self.cwd) / path).resolve()

    def settings(self, source: str) -> Settings:
        """The typed settings (each target checked); `source` names the settings file, if any."""
        checked = {name: target_settings(name, merged) for name, merged in self.targets.items()}
        return Settings(
            out=self.path("out"), accepted=self.path("accepted", ACCEPTED),
            scale=self.value("scale"), seed=self.value("seed"), areas=self.value("areas"),
            json=self.value("json", False),
            legacy=checked["legacy"], candidate=checked["candidate"], source=source,
            sections=MappingProxyType({k: MappingProxyType(v) for k, v in self.sections.items()}),
            section_sources=MappingProxyType(self.section_sources),
            section_dirs=MappingProxyType(self.section_dirs),
            sources=MappingProxyType({name: where for name, (_, where) in self.top.items()}),
        )
