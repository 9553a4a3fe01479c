"""ssmconf.pydantic.SsmconfSettingsSource with the real pydantic-settings, against moto_server."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Callable, Literal

import pydantic
import pytest
from pydantic import BaseModel, Field, PositiveInt, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

import ssmconf
from helpers import messages
from ssmconf.pydantic import SettingsSourceError, SsmconfSettingsSource, reload

SCHEMA = """
app:
  models:
    default_basic:
      ssm_param: /it/{stage}/models/default_basic
      default: CLAUDE_3_5_SONNET_V2
      allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O, GPT_5_MINI]
    default_premium:
      ssm_param: /it/{stage}/models/default_premium
      allowed: [CLAUDE_OPUS_4_5, GPT_4O]
  secrets:
    hf_token:
      ssm_param: /it/{stage}/secrets/hf-token
      secure: true
  training:
    learning_rate: 1.0e-4
    epochs: 3
  port:
    ssm_param: /it/{stage}/port
    type: int
    default: 8080
"""

HF_TOKEN = "hf_s3cr3t_t0ken_value"


class Models(BaseModel):
    default_basic: str
    default_premium: str = "CLAUDE_OPUS_4_5"


class Secrets(BaseModel):
    hf_token: SecretStr


class Training(BaseModel):
    learning_rate: float
    epochs: PositiveInt


def settings_class(resolver: ssmconf.Resolver, **source_kwargs: Any) -> type[BaseSettings]:
    """A settings model as a service writes it: init, env, ssmconf, then the rest."""
    source_kwargs.setdefault("prefix", "app")

    class Settings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="COACH_", env_nested_delimiter="__")

        models: Models
        secrets: Secrets
        training: Training
        port: int = 9999

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                env_settings,
                SsmconfSettingsSource(settings_cls, resolver, **source_kwargs),
                dotenv_settings,
                file_secret_settings,
            )

    return Settings


@pytest.fixture
def seeded(make_resolver: Callable[..., ssmconf.Resolver], seed: Callable[..., int], stage: str) -> ssmconf.Resolver:
    seed(f"/it/{stage}/models/default_basic", "GPT_4O")
    seed(f"/it/{stage}/models/default_premium", "CLAUDE_OPUS_4_5")
    seed(f"/it/{stage}/secrets/hf-token", HF_TOKEN, type="SecureString")
    seed(f"/it/{stage}/port", "8443")
    return make_resolver(SCHEMA)


def test_nested_groups_secrets_and_literals_load_from_ssm(seeded: ssmconf.Resolver) -> None:
    settings: Any = settings_class(seeded)()
    assert settings.models.default_basic == "GPT_4O"
    assert settings.models.default_premium == "CLAUDE_OPUS_4_5"
    assert isinstance(settings.secrets.hf_token, SecretStr)
    assert settings.secrets.hf_token.get_secret_value() == HF_TOKEN
    assert settings.training.learning_rate == 1.0e-4 and settings.training.epochs == 3, "literals"
    assert settings.port == 8443, "an int entry, decoded by ssmconf"
    assert HF_TOKEN not in repr(settings) and HF_TOKEN not in str(settings.model_dump())
    stats = seeded.stats()
    assert stats["ssm_calls"] == 1, f"one batched GetParameters for the whole model: {stats}"


def test_init_then_env_then_ssm_then_defaults(seeded: ssmconf.Resolver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_MODELS__DEFAULT_BASIC", "GPT_5_MINI")
    settings_cls = settings_class(seeded)
    settings: Any = settings_cls()
    assert settings.models.default_basic == "GPT_5_MINI", "env over ssmconf"
    assert settings.models.default_premium == "CLAUDE_OPUS_4_5", "ssmconf fills the rest of the group"
    settings = settings_cls(port=1)
    assert settings.port == 1, "init over everything"


def test_a_key_with_no_value_falls_to_the_field_default(
    make_resolver: Callable[..., ssmconf.Resolver], seed: Callable[..., int], stage: str
) -> None:
    seed(f"/it/{stage}/secrets/hf-token", HF_TOKEN, type="SecureString")
    settings: Any = settings_class(make_resolver(SCHEMA))()
    assert settings.models.default_basic == "CLAUDE_3_5_SONNET_V2", "the schema default"
    assert settings.models.default_premium == "CLAUDE_OPUS_4_5", "no schema default: the model's own"
    assert settings.port == 8080, "the schema default beats the model's"


def test_a_value_outside_allowed_is_refused_by_ssmconf_and_the_chain_answers(
    make_resolver: Callable[..., ssmconf.Resolver],
    seed: Callable[..., int],
    stage: str,
    ssmconf_logs: pytest.LogCaptureFixture,
) -> None:
    seed(f"/it/{stage}/models/default_basic", "GPT_3")
    seed(f"/it/{stage}/models/default_premium", "GPT_3")
    seed(f"/it/{stage}/secrets/hf-token", HF_TOKEN, type="SecureString")

    class StrictModels(BaseModel):
        default_basic: str
        default_premium: str  # no default anywhere: the refusal must show

    class Settings(BaseSettings):
        models: StrictModels

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
            return (SsmconfSettingsSource(settings_cls, resolver, prefix="app"),)

    resolver = make_resolver(SCHEMA)
    with pytest.raises(pydantic.ValidationError) as caught:
        Settings()
    errors = caught.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(("models", "default_premium"), "missing")], errors
    warned = messages(ssmconf_logs, logging.WARNING)
    assert any(
        m.startswith("Using fallback value for app.models.default_basic (default): invalid value: ")
        and "`GPT_3` is not one of the allowed values" in m
        for m in warned
    ), f"ssmconf says the basic model fell back to its default, and why: {warned}"
    assert any(
        m.startswith("No value for app.models.default_premium: ") and "`GPT_3` is not one of the allowed values" in m
        for m in warned
    ), f"and why the premium model has no value, which pydantic then calls missing: {warned}"
    # The basic model, on its own, loads with the schema default.
    assert resolver.get("app.models.default_basic") == "CLAUDE_3_5_SONNET_V2"


def test_a_value_pydantic_rejects_is_pydantics_error_naming_the_field(
    make_resolver: Callable[..., ssmconf.Resolver], seed: Callable[..., int], stage: str
) -> None:
    seed(f"/it/{stage}/models/default_basic", "CLAUDE_OPUS_4_5")  # allowed by the schema
    resolver = make_resolver(SCHEMA)

    class Narrow(BaseModel):
        default_basic: Literal["GPT_4O", "GPT_5_MINI"]  # but not by this service

    class Settings(BaseSettings):
        models: Narrow

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
            return (SsmconfSettingsSource(settings_cls, resolver, prefix="app"),)

    with pytest.raises(pydantic.ValidationError) as caught:
        Settings()
    (error,) = caught.value.errors()
    assert error["loc"] == ("models", "default_basic") and error["type"] == "literal_error", error
    assert "models.default_basic" in str(caught.value)


def test_a_secret_never_shows_in_pydantics_error(
    make_resolver: Callable[..., ssmconf.Resolver], seed: Callable[..., int], stage: str
) -> None:
    seed(f"/it/{stage}/secrets/hf-token", HF_TOKEN, type="SecureString")
    resolver = make_resolver(SCHEMA)

    class LongSecrets(BaseModel):
        hf_token: Annotated[SecretStr, Field(min_length=100)]

    class Settings(BaseSettings):
        secrets: LongSecrets

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
            return (SsmconfSettingsSource(settings_cls, resolver, prefix="app"),)

    with pytest.raises(pydantic.ValidationError) as caught:
        Settings()
    assert "secrets.hf_token" in str(caught.value)
    assert HF_TOKEN not in str(caught.value) and HF_TOKEN not in repr(caught.value.errors())


def test_a_secure_entry_into_a_plain_str_field_is_refused(make_resolver: Callable[..., ssmconf.Resolver]) -> None:
    resolver = make_resolver(SCHEMA)

    class PlainSecrets(BaseModel):
        hf_token: str

    class Settings(BaseSettings):
        secrets: PlainSecrets

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
            return (SsmconfSettingsSource(settings_cls, resolver, prefix="app"),)

    with pytest.raises(SettingsSourceError) as caught:
        Settings()
    assert "field `secrets.hf_token` reads the secure entry `app.secrets.hf_token`: declare it SecretStr" in str(
        caught.value
    )
    assert isinstance(caught.value, ssmconf.SsmconfError)
    assert resolver.stats()["ssm_calls"] == 0, "refused before any fetch"


def test_a_typod_field_is_an_error_with_the_nearest_key(make_resolver: Callable[..., ssmconf.Resolver]) -> None:
    resolver = make_resolver(SCHEMA)

    class Typo(BaseModel):
        default_basc: str = "x"

    def build(**kwargs: Any) -> Any:
        class Settings(BaseSettings):
            models: Typo = Typo()
            debug: bool = False

            @classmethod
            def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
                return (SsmconfSettingsSource(settings_cls, resolver, prefix="app", **kwargs),)

        return Settings()

    with pytest.raises(SettingsSourceError) as caught:
        build()
    text = str(caught.value)
    assert "field `models.default_basc` has no key `app.models.default_basc` in the schema; did you mean `app.models.default_basic`?" in text
    assert "field `debug` has no key `app.debug` in the schema" in text and "exclude=" in text
    assert build(exclude=["models.default_basc", "debug"]).debug is False
    assert build(strict=False).models.default_basc == "x", "strict=False leaves unknown fields to other sources"


def test_reload_sees_a_change_once_the_cache_lets_it(
    seeded: ssmconf.Resolver, seed: Callable[..., int], stage: str
) -> None:
    settings: Any = settings_class(seeded)()
    models = settings.models
    seed(f"/it/{stage}/models/default_basic", "GPT_5_MINI")
    assert reload(settings) is settings
    assert settings.models.default_basic == "GPT_4O", "within the TTL the cached value stands"
    event = {
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": f"/it/{stage}/models/default_basic", "operation": "Update"},
    }
    assert seeded.handle_change_event(event) == ["app.models.default_basic"]
    reload(settings)
    assert settings.models.default_basic == "GPT_5_MINI", "after a change event the new value, in place"
    assert models.default_basic == "GPT_4O", "a group object taken before keeps its values"


def test_reload_that_does_not_validate_leaves_the_settings_as_they_were(
    seeded: ssmconf.Resolver, seed: Callable[..., int], stage: str
) -> None:
    settings: Any = settings_class(seeded)()
    seeded.put("app.models.default_basic", "CLAUDE_OPUS_4_5")

    class Narrow(BaseModel):
        default_basic: Literal["GPT_4O"]

    class NarrowSettings(BaseSettings):
        models: Narrow

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, **sources: Any) -> Any:
            return (SsmconfSettingsSource(settings_cls, seeded, prefix="app"),)

    narrow = NarrowSettings.model_construct(models=Narrow.model_construct(default_basic="GPT_4O"))
    with pytest.raises(pydantic.ValidationError):
        reload(narrow)
    assert narrow.models.default_basic == "GPT_4O"
    assert settings.models.default_basic == "GPT_4O"
    reload(settings)
    assert settings.models.default_basic == "CLAUDE_OPUS_4_5", "put drops the key: the next reload sees it"


def test_the_source_takes_only_a_resolver() -> None:
    class Settings(BaseSettings):
        x: int = 1

    with pytest.raises(TypeError, match="resolver must be an ssmconf.Resolver, not dict"):
        SsmconfSettingsSource(Settings, {})  # type: ignore[arg-type]


def test_the_module_docstring_example_runs() -> None:
    import doctest

    import ssmconf.pydantic

    # Fresh globals: the example imports what it uses, as a reader's script would.
    result = doctest.testmod(ssmconf.pydantic, globs={"__name__": "readme_example"})
    assert result.attempted >= 5 and result.failed == 0, result
