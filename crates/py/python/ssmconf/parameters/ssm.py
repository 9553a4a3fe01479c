"""SSM Parameter Store reads by name and by path, with Powertools' interface.

Everything here calls the native core: caching (bounded, per name and
transform), single flight, retries and stale-on-error live in Rust, and a
module-level :func:`get_parameter` hit is one native call.
"""

from __future__ import annotations

from typing import Any

from ssmconf._ssmconf import Parameters, _default_parameters, clear_caches, get_parameter


class SSMProvider:
    """Powertools' ``SSMProvider``: its own cache and store.

    ``boto_config``, ``boto3_session`` or ``boto3_client`` give the Region
    and endpoint (and a session its profile); the credentials come from the
    environment's usual chain, as for :class:`ssmconf.SsmStore`.
    """

    def __init__(
        self,
        config: Any = None,
        boto_config: Any = None,
        boto3_session: Any = None,
        boto3_client: Any = None,
        *,
        store: Any = None,
    ) -> None:
        region = endpoint_url = profile = None
        if boto3_client is not None:
            region = boto3_client.meta.region_name
            endpoint_url = boto3_client.meta.endpoint_url
        else:
            if boto3_session is not None:
                region = boto3_session.region_name
                if boto3_session.profile_name not in (None, "default"):
                    profile = boto3_session.profile_name
            cfg = boto_config or config
            if cfg is not None and getattr(cfg, "region_name", None):
                region = cfg.region_name
        self._parameters = Parameters(store, region=region, endpoint_url=endpoint_url, profile=profile)

    def get(
        self,
        name: str,
        max_age: int | None = None,
        transform: str | None = None,
        decrypt: bool | None = None,
        force_fetch: bool = False,
        **sdk_options: Any,
    ) -> Any:
        return self._parameters.get(name, max_age, transform, decrypt, force_fetch, **sdk_options)

    def get_multiple(
        self,
        path: str,
        max_age: int | None = None,
        transform: str | None = None,
        raise_on_transform_error: bool = False,
        decrypt: bool | None = None,
        force_fetch: bool = False,
        recursive: bool = False,
        **sdk_options: Any,
    ) -> dict[str, Any]:
        return self._parameters.get_multiple(
            path, max_age, transform, raise_on_transform_error, decrypt, force_fetch, recursive, **sdk_options
        )

    def get_parameters_by_name(
        self,
        parameters: dict[str, Any],
        transform: str | None = None,
        decrypt: bool | None = None,
        max_age: int | None = None,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        return self._parameters.get_parameters_by_name(parameters, transform, decrypt, max_age, raise_on_error)

    def set(
        self,
        name: str,
        value: str | list[str],
        *,
        overwrite: bool = False,
        description: str = "",
        parameter_type: str = "String",
        tier: str = "Standard",
        kms_key_id: str | None = None,
        **sdk_options: Any,
    ) -> dict[str, Any]:
        return self._parameters.set(
            name,
            value,
            overwrite=overwrite,
            description=description,
            parameter_type=parameter_type,
            tier=tier,
            kms_key_id=kms_key_id,
            **sdk_options,
        )

    def clear_cache(self) -> None:
        self._parameters.clear_cache()


def get_parameters(
    path: str,
    transform: str | None = None,
    recursive: bool = True,
    decrypt: bool | None = None,
    force_fetch: bool = False,
    max_age: int | None = None,
    raise_on_transform_error: bool = False,
    **sdk_options: Any,
) -> dict[str, Any]:
    """The parameters under ``path``, by name relative to it."""
    return _default_parameters().get_multiple(
        path, max_age, transform, raise_on_transform_error, decrypt, force_fetch, recursive, **sdk_options
    )


def get_parameters_by_name(
    parameters: dict[str, Any],
    transform: str | None = None,
    decrypt: bool | None = None,
    max_age: int | None = None,
    raise_on_error: bool = True,
) -> dict[str, Any]:
    """Many names at once, each with its own options; failures under ``"_errors"`` when
    ``raise_on_error`` is false. Every batch of 10 is returned."""
    return _default_parameters().get_parameters_by_name(parameters, transform, decrypt, max_age, raise_on_error)


def set_parameter(
    name: str,
    value: str,
    *,
    overwrite: bool = False,
    description: str = "",
    parameter_type: str = "String",
    tier: str = "Standard",
    kms_key_id: str | None = None,
    **sdk_options: Any,
) -> dict[str, Any]:
    """Writes a parameter; answers ``{"Version": n, "Tier": tier}``."""
    return _default_parameters().set(
        name,
        value,
        overwrite=overwrite,
        description=description,
        parameter_type=parameter_type,
        tier=tier,
        kms_key_id=kms_key_id,
        **sdk_options,
    )


__all__ = [
    "SSMProvider",
    "clear_caches",
    "get_parameter",
    "get_parameters",
    "get_parameters_by_name",
    "set_parameter",
]
