"""Parsers of setting values: a raw TOML value in, a typed value out, or `Invalid` saying what was expected.

The core's own keys (config.py) and every area's keys (`AreaKeys` in settings.py) are declared with these:

    Key("max_examples", integer(1))            Key("fail_on", choice("breaking", "risky", "cosmetic"))
    Key("sources", names_of("postman", ...))   Key("accepted", existing_file)

A parser is a function of the raw value. The path parsers (`existing_file`, `path`) are `PathParser`s: they
also take the directory a relative path is relative to, the folder of the settings file that gave it.
The `env_*` functions turn an environment variable's text into the TOML value a parser then checks.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from string import Formatter
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from .urlguard import UnsafeUrl, check_base_url, is_loopback_host

Parser = Callable[[Any], Any]

#: Placeholders a database URL may use: the run's folders (the URL is known before anything starts).
DATABASE_PLACEHOLDERS = frozenset({"target_dir", "run_dir"})
BASE_URL = "an http:// or https:// base URL such as http://127.0.0.1:8000"
DATABASE_URL = "a database URL such as sqlite:///path.sqlite3 or postgresql://user@127.0.0.1/db"


class Invalid(ValueError):
    """A value a parser refuses; the message says what was expected."""


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


# -- scalars -------------------------------------------------------------------------------------------------------

def string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("a non-empty string")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def integer(low: int, high: int | None = None, what: str | None = None) -> Parser:
    """An integer from `low` (to `high`); `what` replaces the generated description."""
    if what is None:
        what = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise Invalid(what)
        return value
    return parse


def number(low: float) -> Parser:
    """A number (integer or float) >= `low`, as a float."""
    def parse(value: Any) -> float:
        if not _is_number(value) or value < low:
            raise Invalid(f"a number >= {low}")
        return float(value)
    return parse


def seconds(value: Any) -> float:
    if not _is_number(value) or value <= 0:
        raise Invalid("a positive number of seconds")
    return float(value)


def choice(*choices: str) -> Parser:
    def parse(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"one of {', '.join(choices)}")
        return value
    return parse


# -- lists -----------------------------------------------------------------------------------------------------------

def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid("a list of non-empty strings")
    return tuple(value)


def non_empty_list(items: str) -> Parser:
    """A non-empty list of non-blank strings; `items` names them in the message."""
    def parse(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise Invalid(f"a non-empty list of {items}")
        return tuple(value)
    return parse


def names_of(*allowed: str) -> Parser:
    """A non-empty list of names, each one of `allowed`."""
    def parse(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or any(v not in allowed for v in value):
            raise Invalid(f"a non-empty list of {', '.join(allowed)}")
        return tuple(value)
    return parse


# -- what the harness runs -------------------------------------------------------------------------------------------

def import_string(value: Any) -> str:
    module, colon, attribute = value.partition(":") if isinstance(value, str) else ("", "", "")
    names = [*module.split("."), attribute.removesuffix("()")]
    if not colon or not all(name.isidentifier() for name in names):
        raise Invalid("an import string such as package.module:attribute (or package.module:factory())")
    return value


def _argv(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise Invalid(f"a shell-quoted command line ({exc})") from None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise Invalid("a command line (a string or a list of strings)")


def command(value: Any) -> tuple[str, ...]:
    """A command line, shell-quoted text or a list of arguments, as its arguments."""
    argv = _argv(value)
    if not argv:
        raise Invalid("a non-empty command line")
    return tuple(argv)


def prepare(value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise Invalid("a list of command lines")
    return tuple(command(step) for step in value)


def env_table(value: Any) -> Mapping[str, str]:
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


def app_config(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Invalid("a table of settings passed to the app factory")
    return MappingProxyType(dict(value))


# -- where it is reached -------------------------------------------------------------------------------------------

def http_url(value: Any) -> str:
    """The URL guard's checks but the loopback rule, which the target's check applies once allow_remote is known."""
    if not isinstance(value, str):
        raise Invalid(BASE_URL)
    try:
        return check_base_url(value, allow_remote=True)
    except UnsafeUrl as exc:
        raise Invalid(f"{BASE_URL} ({exc})") from None


def loopback_host(value: Any) -> str:
    if not isinstance(value, str) or not is_loopback_host(value):
        raise Invalid("a loopback address (127.0.0.1, ::1 or localhost): the harness listens on loopback only")
    return value


def health_path(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise Invalid("a path starting with /, such as /health")
    return value


def _checked_database_url(value: Any, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(DATABASE_URL)
    check_placeholders(value, allowed)
    try:
        sa.engine.make_url(value.format_map(dict.fromkeys(allowed, "x")))
    except (sa.exc.ArgumentError, ValueError):
        raise Invalid(DATABASE_URL) from None
    return value


def database_url(value: Any) -> str:
    """A database URL that may name the run's folders ({target_dir}, {run_dir}), as a target's does."""
    return _checked_database_url(value, DATABASE_PLACEHOLDERS)


def literal_database_url(value: Any) -> str:
    """A database URL used as written (no placeholders)."""
    return _checked_database_url(value, frozenset())


def _braced(names: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in sorted(names))


def check_placeholders(template: str, allowed: frozenset[str]) -> None:
    """Invalid unless every `{name}` of `template` is one of `allowed` (literal braces doubled)."""
    try:
        names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError:
        raise Invalid("a template whose literal braces are doubled ({{ and }})") from None
    unknown = names - allowed
    if unknown:
        among = f"placeholders among {_braced(allowed)}" if allowed else "no placeholders"
        raise Invalid(f"{among} (not {_braced(unknown)})")


# -- paths ---------------------------------------------------------------------------------------------------------

class PathParser:
    """A path setting: a relative path is taken relative to `base`, the folder of the settings file that gave it
    (the working directory for the embedded default and pyproject.toml's [tool.harness])."""

    def __init__(self, expected: str, accept: Callable[[Path], bool] = lambda _: True) -> None:
        self.expected = expected
        self.accept = accept

    def __call__(self, value: Any, base: Path) -> Path:
        if not isinstance(value, str) or not value:
            raise Invalid(self.expected)
        resolved = base / value  # an absolute value stays as it is
        if not self.accept(resolved):
            raise Invalid(self.expected)
        return resolved


existing_file = PathParser("the path of an existing file", Path.is_file)
existing_dir = PathParser("the path of an existing folder", Path.is_dir)
path = PathParser("a path")


# -- environment variables: text -> the TOML value a parser checks ---------------------------------------------

def env_bool(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    return raw  # the parser then says what a boolean looks like


def env_number(raw: str) -> Any:
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


def env_list(raw: str) -> Any:
    return [item.strip() for item in raw.split(",") if item.strip()]
