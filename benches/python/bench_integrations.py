"""What the integrations cost a request: ``metrics_emf`` once per invocation, and a
pydantic-settings model built through ``SsmconfSettingsSource`` against the same model
built from the environment alone, side by side in one run (values cached, MemoryStore).

    VIRTUAL_ENV=$PWD/.venv .venv/bin/maturin develop [--release] -m crates/py/Cargo.toml
    .venv/bin/python benches/python/bench_integrations.py

Prints the median of 7 rounds (timeit) per case, in microseconds.
"""

from __future__ import annotations

import os
import statistics
import timeit
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

import ssmconf
from ssmconf.pydantic import SsmconfSettingsSource, reload

SCHEMA = {
    "models": {
        tier: {"ssm_param": f"/app/models/{tier}", "default": "GPT_4O"} for tier in ("basic", "premium", "free")
    },
    "secrets": {"token": {"ssm_param": "/app/secrets/token", "secure": True}},
    "training": {"epochs": 3, "learning_rate": 1.0e-4},
}
STORE = {f"/app/models/{t}": "CLAUDE_OPUS_4_5" for t in ("basic", "premium", "free")} | {"/app/secrets/token": "t0k"}
ENV = {
    "APP_MODELS__BASIC": "CLAUDE_OPUS_4_5",
    "APP_MODELS__PREMIUM": "CLAUDE_OPUS_4_5",
    "APP_MODELS__FREE": "CLAUDE_OPUS_4_5",
    "APP_SECRETS__TOKEN": "t0k",
    "APP_TRAINING__EPOCHS": "3",
    "APP_TRAINING__LEARNING_RATE": "0.0001",
}


class Models(BaseModel):
    basic: str
    premium: str
    free: str


class Secrets(BaseModel):
    token: SecretStr


class Training(BaseModel):
    epochs: int
    learning_rate: float


resolver = ssmconf.Resolver(SCHEMA, store=ssmconf.MemoryStore(STORE))


class FromEnv(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_nested_delimiter="__")
    models: Models
    secrets: Secrets
    training: Training


class FromSsmconf(FromEnv):
    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
        return (sources["init_settings"], sources["env_settings"], SsmconfSettingsSource(settings_cls, resolver))


def median_us(stmt: Any, number: int) -> float:
    rounds = timeit.repeat(stmt, number=number, repeat=7)
    return statistics.median(rounds) / number * 1e6


def main() -> None:
    resolver.load_all()
    dims = {"Service": "coaching", "Stage": "prod"}
    settings = FromSsmconf()
    os.environ.update(ENV)
    env_only = median_us(FromEnv, 2000)
    for key in ENV:
        del os.environ[key]
    through_ssmconf = median_us(FromSsmconf, 2000)
    print("| case | µs per call (median of 7) |")
    print("|---|---|")
    print(f"| `r.metrics_emf(\"CoachingService\", {{2 dimensions}})` | {median_us(lambda: resolver.metrics_emf('CoachingService', dims), 20000):.2f} |")
    print(f"| `Settings()` from the environment only (6 fields, 3 groups) | {env_only:.1f} |")
    print(f"| `Settings()` through `SsmconfSettingsSource` (same model, values cached) | {through_ssmconf:.1f} |")
    print(f"| `reload(settings)` (values cached) | {median_us(lambda: reload(settings), 2000):.1f} |")
    print(f"\nratio ssmconf source / env only: {through_ssmconf / env_only:.2f}")


if __name__ == "__main__":
    main()
