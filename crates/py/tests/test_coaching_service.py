"""examples/python/coaching_service: the FastAPI app through TestClient and through its Lambda
handlers, against moto_server; half of it with Parameter Store down."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Optional

import pytest
from fastapi.testclient import TestClient

import ssmconf
from helpers import free_port

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "python" / "coaching_service" / "app.py"
REGISTRY = ["CLAUDE_3_5_SONNET_V2", "CLAUDE_3_7_SONNET", "CLAUDE_SONNET_4_5", "CLAUDE_OPUS_4_5", "GPT_4O", "GPT_5_MINI"]
DEFAULTS = {"basic": "CLAUDE_3_5_SONNET_V2", "premium": "CLAUDE_OPUS_4_5"}
API_KEY = "sk-live-0123456789abcdef-do-not-print"
# CloudWatch's units (MetricDatum.Unit).
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


@pytest.fixture(scope="module")
def coaching() -> Iterator[ModuleType]:
    """The example's app.py, imported as a module of its own.

    `Mangum(app)` at import sets up an event loop it never closes; the import runs on
    one this fixture owns and closes, or a later `asyncio.run` collects it unclosed."""
    spec = importlib.util.spec_from_file_location("coaching_service_app", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def lambda_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop a Lambda process keeps between invocations, which Mangum runs on.

    Mangum sets one up with `asyncio.get_event_loop()` and never closes it; left to it,
    the loop would be collected unclosed at the next `asyncio.run` of a later test."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


def resolver_on(endpoint: str, stage: str) -> ssmconf.Resolver:
    schema = EXAMPLE.with_name("schema.yml")
    return ssmconf.Resolver(
        schema, vars={"stage": stage}, store=ssmconf.SsmStore(region="us-east-1", endpoint_url=endpoint)
    )


def emf_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def check_emf(doc: dict[str, Any], dimensions: dict[str, str]) -> None:
    """What CloudWatch Logs checks before it extracts metrics from a log event."""
    aws = doc["_aws"]
    assert set(aws) == {"Timestamp", "CloudWatchMetrics"}, aws
    assert isinstance(aws["Timestamp"], int) and abs(aws["Timestamp"] - time.time() * 1000) < 60_000
    (directive,) = aws["CloudWatchMetrics"]
    assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
    assert directive["Namespace"] == "CoachingService"
    assert directive["Dimensions"] == [list(dimensions)]
    for name, value in dimensions.items():
        assert doc[name] == value, "every dimension is a top-level string member"
    names = [m["Name"] for m in directive["Metrics"]]
    assert names == ["Hits", "Misses", "HitRate", "SsmCalls", "SsmErrors", "StaleServed", "DefaultsServed", "SharedHits"]
    for metric in directive["Metrics"]:
        assert set(metric) == {"Name", "Unit"} and metric["Unit"] in UNITS
        assert metric["Unit"] == ("Percent" if metric["Name"] == "HitRate" else "Count")
        value = doc[metric["Name"]]
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0, metric
    assert 0 <= doc["HitRate"] <= 100
    assert set(doc) == {"_aws", *dimensions, *names}, "nothing else in the line"


def change_event(name: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "8d1c2b3a-0000-0000-0000-000000000000",
        "detail-type": "Parameter Store Change",
        "source": "aws.ssm",
        "account": "123456789012",
        "time": "2026-12-02T07:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:ssm:us-east-1:123456789012:parameter{name}"],
        "detail": {"name": name, "type": "String", "operation": "Update"},
    }


def http_api_event(method: str, path: str, body: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as Lambda receives it."""
    raw = json.dumps(body) if body is not None else ""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "02/Dec/2026:07:00:00 +0000",
            "timeEpoch": 1796194800000,
        },
        "body": base64.b64encode(raw.encode()).decode() if raw else None,
        "isBase64Encoded": bool(raw),
    }


class LambdaContext:
    function_name = "coaching-service"
    aws_request_id = "req-1"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:coaching-service"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# --- SSM answering -------------------------------------------------------------------------


def test_read_put_and_refuse(coaching: ModuleType, moto_endpoint: str, stage: str, peek: Callable[..., Any]) -> None:
    client = TestClient(coaching.create_app(resolver_on(moto_endpoint, stage)))
    assert client.get("/admin/system/default-models").json() == DEFAULTS
    assert client.get("/admin/system/available-models").json() == {"models": REGISTRY}

    put = client.put("/admin/system/default-models", json={"basic": "GPT_4O"})
    assert put.status_code == 200, put.text
    assert put.json() == {"default_models": {"basic": "GPT_4O", "premium": "CLAUDE_OPUS_4_5"}, "versions": {"basic": 1}}
    assert client.get("/admin/system/default-models").json()["basic"] == "GPT_4O", "this instance sees it at once"
    assert peek(f"/purposepath/{stage}/models/default_basic")["Value"] == "GPT_4O"

    refused = client.put("/admin/system/default-models", json={"basic": "GPT_5_MINI", "premium": "GPT_3"})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("premium: 'GPT_3' is not a model code. Available: CLAUDE_3_5_SONNET_V2")
    assert peek(f"/purposepath/{stage}/models/default_basic")["Value"] == "GPT_4O", "all tiers or none"
    assert peek(f"/purposepath/{stage}/models/default_premium") is None
    assert client.put("/admin/system/default-models", json={}).status_code == 422


def test_another_instance_sees_a_put_on_a_change_event(coaching: ModuleType, moto_endpoint: str, stage: str) -> None:
    first = TestClient(coaching.create_app(resolver_on(moto_endpoint, stage)))
    other = resolver_on(moto_endpoint, stage)
    second = TestClient(coaching.create_app(other))
    assert second.get("/admin/system/default-models").json() == DEFAULTS  # cached on the second instance

    assert first.put("/admin/system/default-models", json={"premium": "GPT_5_MINI"}).status_code == 200
    assert second.get("/admin/system/default-models").json()["premium"] == "CLAUDE_OPUS_4_5", "within the TTL"

    coaching.configure(other, stage)  # the second instance's Lambda environment gets the event
    dropped = coaching.on_parameter_change(change_event(f"/purposepath/{stage}/models/default_premium"), None)
    assert dropped == {"dropped": ["models.default_premium"]}
    assert second.get("/admin/system/default-models").json()["premium"] == "GPT_5_MINI", "seen after the event"

    assert first.put("/admin/system/default-models", json={"premium": "CLAUDE_SONNET_4_5"}).status_code == 200
    other.invalidate("models.default_premium")
    assert second.get("/admin/system/default-models").json()["premium"] == "CLAUDE_SONNET_4_5", "or an invalidation"


def test_the_lambda_handler_takes_an_api_gateway_v2_event(
    lambda_event_loop: asyncio.AbstractEventLoop,
    coaching: ModuleType, moto_endpoint: str, stage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    coaching.configure(resolver_on(moto_endpoint, stage), stage)
    context = LambdaContext()
    put = coaching.handler(http_api_event("PUT", "/admin/system/default-models", {"basic": "CLAUDE_3_7_SONNET"}), context)
    assert put["statusCode"] == 200, put
    got = coaching.handler(http_api_event("GET", "/admin/system/default-models"), context)
    assert got["statusCode"] == 200 and got["headers"]["content-type"] == "application/json"
    body = base64.b64decode(got["body"]) if got.get("isBase64Encoded") else got["body"]
    assert json.loads(body) == {"basic": "CLAUDE_3_7_SONNET", "premium": "CLAUDE_OPUS_4_5"}
    missing = coaching.handler(http_api_event("GET", "/nope"), context)
    assert missing["statusCode"] == 404
    lines = emf_lines(capsys.readouterr().out)
    assert len(lines) == 3, "one EMF line per invocation"
    for line in lines:
        check_emf(line, {"Service": "coaching", "Stage": stage})


def test_the_emf_lines_count_each_invocation_and_never_show_a_secret(
    coaching: ModuleType,
    moto_endpoint: str,
    stage: str,
    seed: Callable[..., int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(f"/purposepath/{stage}/secrets/openai-api-key", API_KEY, type="SecureString")
    seed(f"/purposepath/{stage}/models/default_basic", "GPT_4O")
    r = resolver_on(moto_endpoint, stage)
    coaching.configure(r, stage)
    assert r.get("secrets.openai_api_key") == API_KEY, "the service reads the secret"
    capsys.readouterr()
    client = TestClient(coaching.create_app(r))
    bodies = [client.get("/admin/system/default-models").text, client.get("/admin/system/default-models").text]
    bodies.append(client.get("/health").text)
    out = capsys.readouterr()
    first, second, third = emf_lines(out.out)
    for doc in (first, second, third):
        check_emf(doc, {"Service": "coaching", "Stage": stage})
    # The secret's read before the first request is in the first line too.
    assert (first["Misses"], first["Hits"], first["SsmCalls"], first["DefaultsServed"]) == (3, 0, 3, 1), first
    assert (second["Hits"], second["Misses"], second["HitRate"], second["SsmCalls"]) == (2, 0, 100.0, 0), second
    assert third["Hits"] == 3 and third["SsmErrors"] == 0, "health explains three cached entries"
    for text in [out.out, out.err, *bodies]:
        assert API_KEY not in text


# --- SSM down ------------------------------------------------------------------------------


@pytest.fixture
def moto_to_stop(own_moto: Callable[[], Any]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A moto_server of this test's own, so the test can stop it (by its PID) halfway."""
    with own_moto() as server:
        yield server


def test_ssm_going_down_mid_test(
    coaching: ModuleType, moto_to_stop: tuple[str, subprocess.Popen[bytes]], stage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, moto = moto_to_stop
    r = resolver_on(endpoint, stage)
    coaching.configure(r, stage)
    client = TestClient(coaching.create_app(r))
    # The first request wakes a fresh moto_server up (slowly, on a loaded machine).
    assert client.get("/admin/system/default-models").json() == DEFAULTS
    assert client.put("/admin/system/default-models", json={"basic": "GPT_5_MINI"}).status_code == 200
    assert client.get("/admin/system/default-models").json() == {"basic": "GPT_5_MINI", "premium": "CLAUDE_OPUS_4_5"}
    health = client.get("/health").json()
    assert (health["status"], health["ssm"]) == ("ok", "answering"), health
    basic = health["entries"]["models.default_basic"]
    assert (basic["source"], basic["ssm_answered"]) == ("ssm", True) and basic["version"] >= 1
    version = basic["version"]
    assert 0 <= basic["age_seconds"] < 30
    capsys.readouterr()

    moto.terminate()  # Parameter Store goes away
    moto.wait(timeout=10)
    r.clear_cache()  # as when the TTL runs out: the next reads must ask SSM again

    started = time.monotonic()
    assert client.get("/admin/system/default-models").json() == {"basic": "GPT_5_MINI", "premium": "CLAUDE_OPUS_4_5"}
    assert time.monotonic() - started < 20, "an outage costs the SDK's attempts, not a hang"
    health = client.get("/health").json()
    assert (health["status"], health["ssm"]) == ("degraded", "failing"), health
    basic, premium = health["entries"]["models.default_basic"], health["entries"]["models.default_premium"]
    assert (basic["source"], basic["ssm_answered"], basic["version"]) == ("stale", False, version), "the last value SSM gave"
    assert basic["error"] and "GPT_5_MINI" not in basic["error"]
    assert (premium["source"], premium["ssm_answered"]) == ("default", False)
    assert health["stats"]["ssm_errors"] >= 1 and health["stats"]["stale_served"] >= 1
    assert client.get("/admin/system/available-models").json() == {"models": REGISTRY}, "literals need no SSM"

    refused = client.put("/admin/system/default-models", json={"basic": "GPT_4O"})
    assert refused.status_code == 503 and refused.json()["detail"].startswith("Parameter Store did not take the update")
    assert client.get("/admin/system/default-models").json()["basic"] == "GPT_5_MINI"
    lines = emf_lines(capsys.readouterr().out)
    assert sum(line["SsmErrors"] for line in lines) >= 1 and sum(line["StaleServed"] for line in lines) >= 1
    for line in lines:
        check_emf(line, {"Service": "coaching", "Stage": stage})


def test_a_cold_start_while_ssm_is_down(coaching: ModuleType, stage: str) -> None:
    r = resolver_on(f"http://127.0.0.1:{free_port()}", stage)  # nothing listens there
    client = TestClient(coaching.create_app(r))
    assert client.get("/admin/system/default-models").json() == DEFAULTS, "the schema defaults answer"
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["ssm"] == "failing"
    assert {e["source"] for e in health["entries"].values()} == {"default", "none"}
    assert all(e["age_seconds"] is None for e in health["entries"].values()), "nothing ever came from SSM"
    assert client.get("/admin/system/available-models").status_code == 200


def test_a_change_event_for_another_name_drops_nothing(coaching: ModuleType, stage: str) -> None:
    r = resolver_on(f"http://127.0.0.1:{free_port()}", stage)
    coaching.configure(r, stage)
    assert coaching.on_parameter_change(change_event("/someone/else/param"), None) == {"dropped": []}
    assert coaching.on_parameter_change({"detail-type": "EC2 Instance State-change Notification"}) == {"dropped": []}


def test_the_demo_runs_in_memory() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "PUT /admin/system/default-models -> 200 {'default_models': {'basic': 'GPT_4O', 'premium': 'CLAUDE_OPUS_4_5'}, 'versions': {'basic': 1}}" in lines
    assert lines[-1] == "GET /health (store failing) -> degraded"
    assert len(emf_lines(proc.stdout)) == 5, "one EMF line per request"
