"""Both targets of a run on ONE database, as in the blue-green window: what `harness data cross-write` and the
`data-crosswrite` area start the pair with."""
from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.core.config import Settings, TargetSettings
from harness.core.errors import ConfigError, TargetError

from .migrate import DjangoCommands

if TYPE_CHECKING:
    from harness.core.targets import Target


def on_database(settings: Settings, db: str, uploads: str) -> Settings:
    """Both targets pointed at the shared database and one upload folder (as in the blue-green window), not
    seeded by the targets (the database is seeded once, when empty, before the candidate adopts it)."""
    def moved(target: TargetSettings) -> TargetSettings:
        app_config = {**target.app_config, **({"UPLOAD_ROOT": uploads} if "UPLOAD_ROOT" in target.app_config
                                               else {})}
        env = {**target.env, **({"UPLOAD_ROOT": uploads} if "UPLOAD_ROOT" in target.env else {})}
        return dataclasses.replace(target, database_url=db, app_config=app_config, env=env, seed=False)

    return dataclasses.replace(settings, legacy=moved(settings.legacy), candidate=moved(settings.candidate))


def adopting(db: str, settings: Settings, commands: DjangoCommands | None) -> Callable[[Target], None]:
    """Before the candidate is prepared: the shared database seeded if it holds no rows yet (the journey needs
    the seed's admin), then adopted by the candidate's migrations (`migrate --fake-initial`)."""
    def before_prepare(target: Target) -> None:
        if target.name != "candidate":
            return
        seed_if_empty(db, settings)
        if commands is None:
            return
        from .migrate import run_step

        step = run_step("fake-initial", commands.fake_initial(), db, commands)
        if not step.ok:
            raise TargetError(f"candidate: `{shlex.join(step.argv)}` exited with {step.returncode}: "
                              f"{step.output.splitlines()[-1] if step.output else 'no output'}")

    return before_prepare


def seed_if_empty(db: str, settings: Settings) -> None:
    from harness.seed import SeedError, holds_rows, seed_database

    try:
        if not holds_rows(db):
            seed_database(db, scale=settings.scale, seed=settings.seed)
    except SeedError as exc:
        raise ConfigError(f"--legacy-db: {exc}") from None
