"""The coaching service in miniature: FastAPI on AWS Lambda, configured through ssmconf.

Admins read and change the default LLM model of each tier; the service reads the choice on
every request. The choice lives in Parameter Store, so it changes without a deploy. ssmconf
caches it for five minutes, checks every update against the model registry in schema.yml,
answers from the last good value or the schema default while Parameter Store is down, and
drops a value from the cache as soon as an EventBridge "Parameter Store Change" event says it
changed.

    GET  /admin/system/default-models      the default model of each tier
    PUT  /admin/system/default-models      {"basic": "GPT_4O"}: checked, written, seen at once
    GET  /admin/system/available-models    the registry
    GET  /health                           resolver stats, whether SSM answered, value ages

Lambda entry points: ``handler`` (API Gateway, through Mangum) and ``on_parameter_change``
(an EventBridge rule on ``{"source": ["aws.ssm"], "detail-type": ["Parameter Store Change"]}``).
Every invocation prints one CloudWatch Embedded Metric Format line with the resolver's counts.

Environment: ``STAGE`` (default ``dev``); the AWS SDK's own (``AWS_REGION``,
``AWS_ENDPOINT_URL_SSM``, ...). Locally: ``uvicorn app:app`` in this directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Callable, Optional

from fastapi import FastAPI, HTTPException, Request, Response
from mangum import Mangum
from pydantic import BaseModel

import ssmconf

SCHEMA = Path(__file__).resolve().with_name("schema.yml")
TIERS = ("basic", "premium")
# The entries /health reports on: every key of the schema that lives in SSM.
WATCHED = ("models.default_basic", "models.default_premium", "secrets.openai_api_key")
NAMESPACE = "CoachingService"

_resolver: Optional[ssmconf.Resolver] = None
_stage = os.environ.get("STAGE", "dev")


def configure(resolver: ssmconf.Resolver, stage: str) -> None:
    """Replaces the process's resolver (tests; a service builds it once, on first use)."""
    global _resolver, _stage
    _resolver, _stage = resolver, stage


def resolver() -> ssmconf.Resolver:
    """The process's resolver, built on first use: one per Lambda execution environment, so its
    cache outlives the invocation."""
    global _resolver
    if _resolver is None:
        _resolver = ssmconf.Resolver(SCHEMA, vars={"stage": _stage})
    return _resolver


def emit_metrics(r: ssmconf.Resolver) -> None:
    """One EMF line on stdout: CloudWatch Logs turns it into metrics (Hits, Misses, HitRate, ...)."""
    print(r.metrics_emf(NAMESPACE, {"Service": "coaching", "Stage": _stage}), flush=True)


class DefaultModelsUpdate(BaseModel):
    """The body of a PUT: the tiers to change, each to a model code of the registry."""

    basic: Optional[str] = None
    premium: Optional[str] = None


def _key(tier: str) -> str:
    return f"models.default_{tier}"


def create_app(fixed: Optional[ssmconf.Resolver] = None) -> FastAPI:
    """The API over ``fixed``, or over the process's resolver when None."""
    app = FastAPI(title="coaching service")

    def r() -> ssmconf.Resolver:
        return fixed if fixed is not None else resolver()

    @app.middleware("http")
    async def metrics_per_invocation(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            return await call_next(request)
        finally:
            emit_metrics(r())

    @app.get("/admin/system/default-models")
    def get_default_models() -> dict[str, str]:
        return {tier: r().require(_key(tier)) for tier in TIERS}

    @app.put("/admin/system/default-models")
    def put_default_models(update: DefaultModelsUpdate) -> dict[str, Any]:
        changes = {tier: code for tier, code in update.model_dump().items() if code is not None}
        if not changes:
            raise HTTPException(422, f"nothing to change: give a model code for one of {', '.join(TIERS)}")
        registry = r().require("models.registry")
        # Every code checked before anything is written: a PUT changes all its tiers or none.
        refused = {tier: code for tier, code in changes.items() if code not in registry}
        if refused:
            detail = "; ".join(f"{tier}: {code!r} is not a model code" for tier, code in refused.items())
            raise HTTPException(422, f"{detail}. Available: {', '.join(registry)}")
        versions = {}
        for tier, code in changes.items():
            try:
                versions[tier] = r().put(_key(tier), code)
            except ssmconf.ValidationError as e:
                raise HTTPException(422, str(e)) from e
            except ssmconf.StoreError as e:
                raise HTTPException(503, f"Parameter Store did not take the update: {e}") from e
        return {"default_models": get_default_models(), "versions": versions}

    @app.get("/admin/system/available-models")
    def available_models() -> dict[str, list[str]]:
        return {"models": list(r().require("models.registry"))}

    @app.get("/health")
    def health() -> dict[str, Any]:
        now = time.time()
        entries = {}
        for key in WATCHED:
            why = r().explain(key)
            entries[key] = {
                "source": why.source,
                "ssm_answered": why.error is None,
                "version": why.version,
                "age_seconds": None if why.fetched_at is None else round(now - why.fetched_at.timestamp(), 3),
                "error": why.error,
            }
        ssm_ok = all(e["ssm_answered"] for e in entries.values())
        return {
            "status": "ok" if ssm_ok else "degraded",
            "ssm": "answering" if ssm_ok else "failing",
            "stats": r().stats(),
            "entries": entries,
        }

    return app


app = create_app()
handler = Mangum(app, lifespan="off")


def on_parameter_change(event: dict[str, Any], context: Any = None) -> dict[str, list[str]]:
    """The EventBridge handler: drops what changed from this environment's cache, so the next
    request reads the new value instead of waiting out the TTL."""
    r = resolver()
    try:
        return {"dropped": r.handle_change_event(event)}
    finally:
        emit_metrics(r)


def demo() -> None:
    """``python app.py``: the API in memory (no AWS), through FastAPI's TestClient."""
    from fastapi.testclient import TestClient

    store = ssmconf.MemoryStore()
    configure(ssmconf.Resolver(SCHEMA, vars={"stage": "dev"}, store=store), "dev")
    client = TestClient(app)
    for method, path, body in [
        ("GET", "/admin/system/default-models", None),
        ("PUT", "/admin/system/default-models", {"basic": "GPT_4O"}),
        ("PUT", "/admin/system/default-models", {"premium": "GPT_3"}),
        ("GET", "/admin/system/available-models", None),
    ]:
        response = client.request(method, path, json=body)
        print(f"{method} {path} -> {response.status_code} {response.json()}")
    store.fail("simulated outage")
    resolver().clear_cache()
    print(f"GET /health (store failing) -> {client.get('/health').json()['status']}")


if __name__ == "__main__":
    demo()
