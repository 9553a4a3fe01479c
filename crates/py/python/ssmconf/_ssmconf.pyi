"""Type stubs of the native module ``ssmconf._ssmconf`` (written by hand, checked by mypy.stubtest)."""

import datetime
import os
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Literal, Optional, Union, final

__version__: str
__all__ = [
    "CheckReport",
    "FileStore",
    "HistoryEntry",
    "InitPlan",
    "MemoryStore",
    "Parameters",
    "PlanItem",
    "Problem",
    "Resolved",
    "Resolver",
    "SsmStore",
    "__version__",
    "_cli_main",
    "_default_parameters",
    "_reset_default_parameters",
    "clear_caches",
    "get_parameter",
]

_Source = Literal["env", "ssm", "shared", "stale", "default", "caller", "literal", "none"]

@final
class SsmStore:
    """AWS Systems Manager Parameter Store through the AWS SDK for Rust.

    Region, credentials and endpoint come from the standard AWS chain
    (``AWS_REGION``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL_SSM``, the Lambda role...)
    unless given here. Each request has a 3 s deadline per attempt and up to 3
    attempts with backoff and jitter on throttling and transient errors.
    """

    def __new__(
        cls,
        region: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        profile: Optional[str] = None,
    ) -> "SsmStore": ...

@final
class MemoryStore:
    """Parameters in process memory (String parameters at version 1), for tests and examples."""

    def __new__(cls, values: Optional[Mapping[str, str]] = None) -> "MemoryStore": ...
    def set(self, name: str, value: str, type: Literal["String", "StringList", "SecureString"] = "String") -> int:
        """Writes a parameter directly (a new version) and returns the version."""
    def value(self, name: str) -> Optional[str]:
        """The current raw value of a parameter, or None."""
    def fail(self, message: Optional[str] = None) -> None:
        """Makes every request fail as throttled with ``message``; ``None`` heals the store."""
    @property
    def calls(self) -> int:
        """Requests the store has answered or refused."""

@final
class FileStore:
    """Parameters in a JSON file, for local development without AWS.

    Writes are atomic and locked, so several processes may write one file at
    once; values (secure ones too) are kept in clear text, in a file of mode 0600.
    """

    def __new__(cls, path: Union[str, "os.PathLike[str]"]) -> "FileStore": ...
    @property
    def path(self) -> str: ...

@final
class Resolved:
    """A value with its provenance, from :meth:`Resolver.explain`. Secure values read ``"***"``."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def source(self) -> _Source: ...
    @property
    def ssm_param(self) -> Optional[str]: ...
    @property
    def version(self) -> Optional[int]: ...
    @property
    def parameters(self) -> Optional[int]:
        """For a path entry (``ssm_path``): how many parameters the mapping holds."""
        ...
    @property
    def fetched_at(self) -> Optional[datetime.datetime]: ...
    @property
    def expires_at(self) -> Optional[datetime.datetime]: ...
    @property
    def error(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def json_key(self) -> Optional[str]:
        """The entry's ``json_key``: the value is this member of the JSON object in SSM."""
    @property
    def file(self) -> Optional[str]: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def secure(self) -> bool: ...
    @property
    def steps(self) -> list[tuple[str, str]]:
        """Every step of the chain that was looked at: (step, what it found)."""

@final
class PlanItem:
    """One parameter of an :class:`InitPlan`."""

    @property
    def key(self) -> str: ...
    @property
    def ssm_param(self) -> str: ...
    @property
    def type(self) -> Literal["String", "StringList", "SecureString"]: ...
    @property
    def value(self) -> Optional[str]:
        """The value written, ``"***"`` for a secure entry."""
    @property
    def version(self) -> Optional[int]: ...
    @property
    def reason(self) -> Optional[str]: ...

@final
class InitPlan:
    """What :meth:`Resolver.init` did, or would do in a dry run."""

    @property
    def dry_run(self) -> bool: ...
    @property
    def created(self) -> list[PlanItem]: ...
    @property
    def overwritten(self) -> list[PlanItem]: ...
    @property
    def skipped(self) -> list[PlanItem]: ...
    @property
    def manual(self) -> list[PlanItem]: ...
    @property
    def failed(self) -> list[PlanItem]: ...

@final
class Problem:
    """One problem found by :meth:`Resolver.check`."""

    @property
    def key(self) -> str: ...
    @property
    def ssm_param(self) -> str: ...
    @property
    def kind(self) -> Literal["missing", "invalid", "unreadable"]: ...
    @property
    def message(self) -> str: ...

@final
class CheckReport:
    """The problems :meth:`Resolver.check` found; empty (and falsy ``problems``) when all is well."""

    @property
    def checked(self) -> int: ...
    @property
    def problems(self) -> list[Problem]: ...
    @property
    def ok(self) -> bool: ...
    def __bool__(self) -> bool:
        """True when no problem was found."""
    def __len__(self) -> int:
        """The number of problems."""

@final
class HistoryEntry:
    """One version of a parameter, from :meth:`Resolver.history`. Secure values read ``"***"``."""

    @property
    def version(self) -> int: ...
    @property
    def value(self) -> str: ...
    @property
    def type(self) -> Literal["String", "StringList", "SecureString"]: ...
    @property
    def modified_at(self) -> Optional[datetime.datetime]: ...
    @property
    def modified_by(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def labels(self) -> list[str]: ...

@final
class Resolver:
    """Typed values from a schema and a store, cached with a TTL, behind the fallback chain.

    ``schema`` is a path (a YAML file or a directory of them) or a dict with the
    same shape. ``store`` defaults to ``SsmStore()``. ``ttl`` (seconds) is the
    cache lifetime of entries without their own ``ttl`` (default 300, or
    ``SSMCONF_TTL``). A resolver is safe to share between threads and asyncio
    tasks; blocking calls release the GIL.

    Off by default: ``snapshot`` (a path) keeps the last good value of every
    non-secure entry in a file (0600, written atomically), so a process that
    starts while SSM is down still gets them; ``refresh_ahead`` (a fraction of
    the TTL, or True for the last fifth) lets a read near the end of a TTL
    answer at once and refresh in the background; ``ttl_jitter`` (a fraction)
    takes a random part off each TTL so a fleet does not expire together.

    ``shared_cache`` (a ``redis://`` or ``rediss://`` URL, else
    ``SSMCONF_SHARED_CACHE``) shares fetched values with a fleet through Redis
    (source ``"shared"``); ``shared_cache_key`` (32 bytes as hex or base64, a
    list or a comma-separated string for rotation, else
    ``SSMCONF_SHARED_CACHE_KEY``; ``"ssm:NAME"`` reads it from a SecureString)
    authenticates them and lets secure entries be
    shared encrypted; ``shared_cache_namespace`` scopes the entries instead of
    the store's Region and account.
    """

    def __new__(
        cls,
        schema: Union[str, "os.PathLike[str]", Mapping[str, Any]],
        vars: Optional[Mapping[str, str]] = None,
        ttl: Optional[float] = None,
        store: Union[SsmStore, MemoryStore, FileStore, None] = None,
        *,
        snapshot: Union[str, "os.PathLike[str]", None] = None,
        refresh_ahead: Union[float, bool, None] = None,
        ttl_jitter: Optional[float] = None,
        shared_cache: Optional[str] = None,
        shared_cache_key: Union[str, Sequence[str], None] = None,
        shared_cache_namespace: Optional[str] = None,
    ) -> "Resolver": ...
    def get(self, key: str, default: Any = None) -> Any:
        """The typed value of ``key``, else ``default``, else None."""
    def require(self, key: str) -> Any:
        """The typed value of ``key``; raises NotFoundError when every step is empty."""
    def __getitem__(self, key: str, /) -> Any:
        """Same as :meth:`require`."""
    def __contains__(self, key: object, /) -> bool:
        """True when ``key`` is in the schema."""
    def is_secure(self, key: str) -> bool:
        """Whether ``key`` is an entry marked ``secure: true`` (False for a literal or an unknown key)."""
    def keys(self) -> list[str]:
        """Every dotted key of the schema, in schema order."""
    def explain(self, key: str) -> Resolved: ...
    def load_all(self) -> dict[str, int]:
        """Fetches every stale entry in batches of 10; returns counts: loaded, missing, failed, skipped."""
    def extract(self) -> dict[str, Any]:
        """The whole tree, resolved, as nested dicts (keys without a value left out)."""
    def put(self, key: str, value: Any) -> int:
        """Validates and writes a value, drops the key from the cache; returns the new version."""
    def invalidate(self, key: str) -> None:
        """Drops ``key`` from the cache (its last good value is kept for the stale step).

        Raises UnknownKeyError for a key not in the schema; a literal is never cached.
        """
    def clear_cache(self) -> None: ...
    def init(self, dry_run: bool = False, overwrite: bool = False) -> InitPlan: ...
    def check(self) -> CheckReport: ...
    def history(self, key: str) -> list[HistoryEntry]: ...
    def stats(self) -> dict[str, int]:
        """hits, misses, ssm_calls, ssm_errors, stale_served, defaults_served."""
    def metrics_emf(self, namespace: str = "ssmconf", dimensions: Optional[Mapping[str, str]] = None) -> str:
        """One CloudWatch Embedded Metric Format JSON line with the counts since the previous call:
        Hits, Misses, HitRate (percent; 100 with no reads), SsmCalls, SsmErrors, StaleServed,
        DefaultsServed, SharedHits. Raises ValidationError for a bad namespace or dimension,
        TypeError for a dimension value that is not a str."""
    def handle_change_event(self, event: Mapping[str, Any]) -> list[str]:
        """Drops the keys an EventBridge "Parameter Store Change" event names; returns them."""
    def ssm_name(self, key: str) -> str:
        """The SSM name of an entry, placeholders filled."""
    def env_vars(self, only: Optional[Sequence[str]] = None) -> dict[str, str]:
        """What ``ssmconf exec`` puts in a child's environment: variable name to value.

        Each key under ``only`` (dotted keys or groups; all when None) with a value:
        the entry's ``env`` name, else the key upper-cased with ``.`` and ``-`` as
        ``_``; strings as they are, lists comma-joined, the rest as JSON. Secure
        values are in clear. Raises NotFoundError when a required value is missing.
        """
    def import_file(
        self,
        path: Union[str, "os.PathLike[str]"],
        format: Optional[str] = None,
        dry_run: bool = False,
        overwrite: bool = False,
        skip_invalid: bool = False,
    ) -> dict[str, Any]:
        """Imports a JSON, YAML or dotenv file (``format`` from the extension when None).

        Returns the plan: ``file, format, dry_run, written, created, overwritten,
        skipped, refused, failed``. One refused key or value writes nothing unless
        ``skip_invalid``. Raises SchemaError (with file, line, column) for a file
        that cannot be read or parsed.
        """
    def import_values(
        self,
        values: Mapping[str, Any],
        dry_run: bool = False,
        overwrite: bool = False,
        skip_invalid: bool = False,
    ) -> dict[str, Any]:
        """:meth:`import_file` for a mapping (nested by groups, or dotted keys)."""
    def promote_to(
        self, target: "Resolver", only: Optional[Sequence[str]] = None, dry_run: bool = False
    ) -> dict[str, Any]:
        """Copies this resolver's stored values to ``target``'s names (same schema, other vars).

        Writes only values that differ, with the source's type and description;
        returns ``dry_run, written, created, updated, unchanged, skipped, refused,
        failed`` (secure values as ``***``).
        """
    def rollback(self, key: str, to: Optional[int] = None) -> dict[str, Any]:
        """Writes version ``to`` (default: the one before the current) again as a new version.

        Returns ``key, ssm_param, from_version, restored_version, version, value,
        description``. Raises ValidationError for a read-only name or a missing version.
        """
    def aget(self, key: str, default: Any = None) -> Awaitable[Any]:
        """Awaitable :meth:`get`; a cache hit completes without a thread switch."""
    def arequire(self, key: str) -> Awaitable[Any]:
        """Awaitable :meth:`require`."""
    def aexplain(self, key: str) -> Awaitable[Resolved]:
        """Awaitable :meth:`explain`."""
    def aload_all(self) -> Awaitable[dict[str, int]]:
        """Awaitable :meth:`load_all`."""
    def aput(self, key: str, value: Any) -> Awaitable[int]:
        """Awaitable :meth:`put`."""

def _cli_main(argv: list[str]) -> int:
    """Runs the ``ssmconf`` command line (the Rust CLI) on ``argv``, program name first; answers its exit code."""

@final
class Parameters:
    """Parameters read by name or path, outside any schema, with one cache and one store.

    The engine of ``ssmconf.parameters`` (``SSMProvider`` wraps one). Caching (bounded, per
    name and transform), single flight, retries and stale-on-error are the core's.
    """

    def __new__(
        cls,
        store: Optional[Union[SsmStore, MemoryStore, FileStore]] = None,
        *,
        region: Optional[str] = None,
        endpoint_url: Optional[str] = None,
        profile: Optional[str] = None,
        ttl: Optional[float] = None,
        capacity: Optional[int] = None,
    ) -> "Parameters": ...
    def get(
        self,
        name: str,
        max_age: Optional[float] = None,
        transform: Optional[str] = None,
        decrypt: Optional[bool] = None,
        force_fetch: bool = False,
        **sdk_options: Any,
    ) -> Any:
        """One parameter's value (Powertools' ``SSMProvider.get``)."""
    def get_multiple(
        self,
        path: str,
        max_age: Optional[float] = None,
        transform: Optional[str] = None,
        raise_on_transform_error: bool = False,
        decrypt: Optional[bool] = None,
        force_fetch: bool = False,
        recursive: bool = False,
        **sdk_options: Any,
    ) -> dict[str, Any]:
        """The parameters under ``path``, by name relative to it."""
    def get_parameters_by_name(
        self,
        parameters: dict[str, Any],
        transform: Optional[str] = None,
        decrypt: Optional[bool] = None,
        max_age: Optional[float] = None,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Many names at once; failures under ``"_errors"`` when ``raise_on_error`` is false."""
    def set(
        self,
        name: str,
        value: Union[str, list[str]],
        *,
        overwrite: bool = False,
        description: str = "",
        parameter_type: str = "String",
        tier: str = "Standard",
        kms_key_id: Optional[str] = None,
        **sdk_options: Any,
    ) -> dict[str, Any]:
        """Writes a parameter; answers ``{"Version": n, "Tier": tier}``."""
    def clear_cache(self) -> None:
        """Drops every cached name and path."""
    def stats(self) -> dict[str, int]:
        """``hits``, ``misses``, ``ssm_calls``, ``ssm_errors``, ``stale_served``."""

def get_parameter(
    name: str,
    transform: Optional[str] = None,
    decrypt: Optional[bool] = None,
    force_fetch: bool = False,
    max_age: Optional[float] = None,
) -> Any:
    """Powertools' ``get_parameter`` on the process's default :class:`Parameters`."""

def clear_caches() -> None:
    """Drops every cached value of the default :class:`Parameters`."""

def _default_parameters() -> Parameters:
    """The process's default :class:`Parameters` (an ``SsmStore`` from the environment)."""

def _reset_default_parameters() -> None:
    """Drops the default instance: the next call makes one from the environment as it is then."""
