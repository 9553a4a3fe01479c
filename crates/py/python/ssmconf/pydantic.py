"""pydantic-settings integration: a settings source that reads through an ``ssmconf.Resolver``.

Install with ``pip install ssmconf[pydantic]``.

>>> import ssmconf
>>> from pydantic import BaseModel
>>> from pydantic_settings import BaseSettings
>>> from ssmconf.pydantic import SsmconfSettingsSource
>>> resolver = ssmconf.Resolver(
...     {"models": {"default_basic": {"ssm_param": "/app/models/default_basic", "default": "GPT_4O"}}},
...     store=ssmconf.MemoryStore({"/app/models/default_basic": "CLAUDE_OPUS_4_5"}),
... )
>>> class Models(BaseModel):
...     default_basic: str
>>> class Settings(BaseSettings):
...     models: Models
...     @classmethod
...     def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
...                                    file_secret_settings):
...         return (init_settings, env_settings, SsmconfSettingsSource(settings_cls, resolver),
...                 dotenv_settings, file_secret_settings)
>>> Settings().models.default_basic
'CLAUDE_OPUS_4_5'

How fields map to keys: a field reads the dotted key of its name (its ``alias`` when it has one)
under ``prefix``; a field whose type is a pydantic model is a group, and its fields read the keys
under it. The resolver answers through its fallback chain (cache, SSM, stale, schema default), and
pydantic validates what it answers. A key whose chain has no value is left to the sources after
this one and to the field's own default. A field with no key in the schema is an error (a typo'd
field must not quietly read nothing) unless it is listed in ``exclude``, or ``strict=False``.

Secure entries reach the model as ``SecretStr`` (or ``SecretBytes``): their fields must have one of
those types, so that neither ``repr`` nor a pydantic error ever shows the value.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Iterator
from typing import Any, Optional, TypeVar, Union

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from ssmconf._ssmconf import Resolver
from ssmconf.exceptions import SsmconfError, UnknownKeyError

__all__ = ["SettingsSourceError", "SsmconfSettingsSource", "reload"]

S = TypeVar("S", bound=BaseSettings)


class SettingsSourceError(SsmconfError, ValueError):
    """The settings model does not fit the schema: a field with no key in it, or a secure entry
    read into a field that is not ``SecretStr`` or ``SecretBytes``. The message names every such
    field with its dotted key."""


def _unwrap_optional(annotation: Any) -> Any:
    """``Optional[X]`` (or ``X | None``) to ``X``; anything else as it is."""
    origin = typing.get_origin(annotation)
    if origin is Union or (hasattr(types, "UnionType") and origin is getattr(types, "UnionType")):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_type(annotation: Any) -> Optional[type[BaseModel]]:
    inner = _unwrap_optional(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def _secret_type(annotation: Any) -> Optional[type]:
    inner = _unwrap_optional(annotation)
    if isinstance(inner, type) and issubclass(inner, (SecretStr, SecretBytes)):
        return inner
    return None


class _Leaf(typing.NamedTuple):
    path: tuple[str, ...]  # the keys of the returned dict, field by field
    key: str  # the dotted key in the schema
    field: str  # the field path, for messages
    secret: Optional[type]


class SsmconfSettingsSource(PydanticBaseSettingsSource):
    """A pydantic-settings source over an :class:`ssmconf.Resolver`.

    ``prefix``: a dotted key the model's keys live under (``"app"`` reads ``app.models.basic``).
    ``exclude``: field paths (``"debug"``, ``"db.url"``) that this source does not read: other
    sources give them. ``strict``: with ``False``, every field with no key in the schema is left
    to the other sources instead of being an error.

    Raises :class:`SettingsSourceError` when the model does not fit the schema.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        resolver: Resolver,
        prefix: Optional[str] = None,
        *,
        exclude: Iterable[str] = (),
        strict: bool = True,
    ) -> None:
        super().__init__(settings_cls)
        if not isinstance(resolver, Resolver):
            raise TypeError(f"resolver must be an ssmconf.Resolver, not {type(resolver).__name__}")
        self.resolver = resolver
        self.prefix = (prefix or "").strip(".")
        self._exclude = set(exclude)
        problems: list[str] = []
        self._leaves = list(self._walk(settings_cls, (), (), strict, problems))
        if problems:
            raise SettingsSourceError(
                f"{settings_cls.__name__} does not fit the ssmconf schema:\n  " + "\n  ".join(problems)
            )

    def _walk(
        self,
        model: type[BaseModel],
        path: tuple[str, ...],
        names: tuple[str, ...],
        strict: bool,
        problems: list[str],
    ) -> Iterator[_Leaf]:
        for name, info in model.model_fields.items():
            part = info.alias if isinstance(info.alias, str) else name
            field = ".".join((*names, name))
            if field in self._exclude:
                continue
            key = ".".join(p for p in (self.prefix, *path, part) if p)
            nested = _model_type(info.annotation)
            if key in self.resolver:
                secret = _secret_type(info.annotation)
                if self.resolver.is_secure(key) and secret is None:
                    problems.append(
                        f"field `{field}` reads the secure entry `{key}`: declare it SecretStr (or SecretBytes), "
                        "so that its value never prints"
                    )
                yield _Leaf((*path, part), key, field, secret)
            elif nested is not None:
                yield from self._walk(nested, (*path, part), (*names, name), strict, problems)
            elif strict:
                problems.append(f"field `{field}` has no key `{key}` in the schema{self._hint(key)}")

    def _hint(self, key: str) -> str:
        try:
            self.resolver.ssm_name(key)
        except UnknownKeyError as e:
            if e.suggestion:
                return f"; did you mean `{e.suggestion}`?"
        except SsmconfError:
            pass
        return " (list it in exclude= when another source gives it)"

    def _value(self, leaf: _Leaf) -> Any:
        value = self.resolver.get(leaf.key)
        if value is None:
            # ssmconf has logged why, when a fetch failed; the next sources and the field's default answer.
            return None
        if leaf.secret is SecretStr:
            return SecretStr(value if isinstance(value, str) else json.dumps(value))
        if leaf.secret is SecretBytes:
            return SecretBytes(value.encode() if isinstance(value, str) else json.dumps(value).encode())
        return value

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """The value of a top-level leaf field (nested groups come from ``__call__``)."""
        for leaf in self._leaves:
            if len(leaf.path) == 1 and leaf.field == field_name:
                return self._value(leaf), leaf.path[0], False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """Every field this source reads that has a value, nested by group."""
        if self._leaves:
            # One batched fetch of whatever is not fresh in the cache.
            self.resolver.load_all()
        out: dict[str, Any] = {}
        for leaf in self._leaves:
            value = self._value(leaf)
            if value is None:
                continue
            node = out
            for part in leaf.path[:-1]:
                node = node.setdefault(part, {})
            node[leaf.path[-1]] = value
        return out

    def __repr__(self) -> str:
        return f"SsmconfSettingsSource({self.settings_cls.__name__}, {self.resolver!r}, prefix={self.prefix!r})"


def reload(settings: S, **init_kwargs: Any) -> S:
    """Builds the settings again (every source, in its order) and puts the new values into
    ``settings`` itself, so that every holder of the object sees them; returns it.

    Keys still fresh in the resolver's cache cost nothing; the rest are fetched. Values passed
    to the constructor are not remembered: pass them again as ``init_kwargs``. The new values
    replace the old ones in one step (a reader sees either all old or all new top-level fields).
    Raises pydantic's ``ValidationError`` (and leaves ``settings`` as it was) when the new values
    do not validate.
    """
    fresh = type(settings)(**init_kwargs)
    state = dict(fresh.__dict__)
    settings.__dict__.update(state)
    object.__setattr__(settings, "__pydantic_fields_set__", set(fresh.__pydantic_fields_set__))
    return settings

