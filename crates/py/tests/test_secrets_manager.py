"""Secrets Manager references: secrets created with boto3 on moto, read by
ssmconf through Parameter Store (``/aws/reference/secretsmanager/NAME``)
with the real Rust SDK."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

import pytest

import ssmconf

JWT_1 = "jwt-py-one-A1b-never-shown"
JWT_2 = "jwt-py-two-C2d-never-shown"
HF = "hf_py-E3f-never-shown"
SECRETS = (JWT_1, JWT_2, HF)


@pytest.fixture(scope="module")
def secrets(moto_endpoint: str) -> Any:
    """A boto3 Secrets Manager client on the test server."""
    import boto3

    return boto3.client(
        "secretsmanager",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _schema(plain: int) -> str:
    lines = ["plain:"]
    for i in range(plain):
        lines += [f"  p{i}:", f"    ssm_param: /it/{{stage}}/p{i}"]
    return "\n".join(lines) + "\n" + """\
auth:
  jwt:
    ssm_param: /aws/reference/secretsmanager/{stage}/jwt
    json_key: secret
    ttl: 1
  jwt_previous:
    ssm_param: /aws/reference/secretsmanager/{stage}/jwt:AWSPREVIOUS
    json_key: secret
  hf:
    ssm_param: /aws/reference/secretsmanager/{stage}/hf
  missing:
    ssm_param: /aws/reference/secretsmanager/{stage}/missing
    default: fallback
"""


@pytest.fixture
def seeded(secrets: Any, seed: Callable[..., int], stage: str) -> str:
    secrets.create_secret(Name=f"{stage}/jwt", SecretString=json.dumps({"secret": JWT_1}))
    secrets.put_secret_value(SecretId=f"{stage}/jwt", SecretString=json.dumps({"secret": JWT_2}))
    secrets.create_secret(Name=f"{stage}/hf", SecretString=HF)
    for i in range(12):
        seed(f"/it/{stage}/p{i}", f"v{i}")
    return stage


def test_load_all_reads_plain_names_in_batches_and_each_secret_alone(
    seeded: str, make_resolver: Callable[..., ssmconf.Resolver]
) -> None:
    r = make_resolver(_schema(12))
    report = r.load_all()
    assert (report["loaded"], report["missing"], report["failed"]) == (12 + 3, 1, 0)
    # ceil(12 / 10) GetParameters and one GetParameter per reference.
    assert r.stats()["ssm_calls"] == 2 + 4
    assert [r[f"plain.p{i}"] for i in range(12)] == [f"v{i}" for i in range(12)]
    assert r["auth.jwt"] == JWT_2
    assert r["auth.jwt_previous"] == JWT_1
    assert r["auth.hf"] == HF
    assert r["auth.missing"] == "fallback"
    assert r.explain("auth.missing").source == "default"
    assert r.stats()["ssm_calls"] == 6, "every read answered from the cache"


def test_a_rotated_secret_is_seen_once_its_ttl_has_passed(
    seeded: str, secrets: Any, make_resolver: Callable[..., ssmconf.Resolver]
) -> None:
    r = make_resolver(_schema(0))
    assert r["auth.jwt"] == JWT_2
    secrets.put_secret_value(SecretId=f"{seeded}/jwt", SecretString=json.dumps({"secret": "rotated"}))
    assert r["auth.jwt"] == JWT_2, "cached for the entry's TTL (1 s)"
    time.sleep(1.1)
    assert r["auth.jwt"] == "rotated"


def test_explain_masks_the_secret_and_shows_the_json_key(
    seeded: str, make_resolver: Callable[..., ssmconf.Resolver]
) -> None:
    r = make_resolver(_schema(0))
    why = r.explain("auth.jwt")
    assert (why.value, why.source, why.secure, why.json_key) == ("***", "ssm", True, "secret")
    assert why.ssm_param.startswith("/aws/reference/secretsmanager/")
    assert r.explain("auth.hf").json_key is None
    for text in (repr(why), str(why.steps), repr(r.explain("auth.hf"))):
        assert not any(s in text for s in SECRETS), text


def test_a_value_without_the_member_falls_back_and_never_shows(
    secrets: Any,
    stage: str,
    make_resolver: Callable[..., ssmconf.Resolver],
    ssmconf_logs: pytest.LogCaptureFixture,
) -> None:
    secrets.create_secret(Name=f"{stage}/db", SecretString=json.dumps({"username": "svc", "pasword": JWT_1}))
    secrets.create_secret(Name=f"{stage}/raw", SecretString=JWT_2)
    r = make_resolver(
        """
        db:
          user:
            ssm_param: /aws/reference/secretsmanager/{stage}/db
            json_key: username
            secure: false
          password:
            ssm_param: /aws/reference/secretsmanager/{stage}/db
            json_key: password
            default: from-schema
          raw:
            ssm_param: /aws/reference/secretsmanager/{stage}/raw
            json_key: password
        """
    )
    assert r["db.user"] == "svc"
    assert r["db.password"] == "from-schema"
    why = r.explain("db.password")
    assert why.source == "default"
    assert "no member `password`; did you mean `pasword`?" in (why.error or "")
    with pytest.raises(ssmconf.NotFoundError) as raised:
        r.require("db.raw")
    assert "not JSON" in str(raised.value) or "not JSON" in (r.explain("db.raw").error or "")
    logged = "\n".join(rec.getMessage() for rec in ssmconf_logs.records)
    assert "Using fallback value for db.password (default)" in logged
    for text in (logged, str(raised.value), repr(why), why.error or ""):
        assert JWT_1 not in text and JWT_2 not in text


def test_references_are_read_only_and_check_reports_instead_of_failing(
    seeded: str, secrets: Any, make_resolver: Callable[..., ssmconf.Resolver]
) -> None:
    secrets.create_secret(Name=f"{seeded}/broken", SecretString=HF)
    r = make_resolver(
        _schema(1)
        + """\
  broken:
    ssm_param: /aws/reference/secretsmanager/{stage}/broken
    json_key: secret
    required: true
"""
    )
    with pytest.raises(ssmconf.ValidationError, match="Secrets Manager secret read through Parameter Store"):
        r.put("auth.jwt", "x")
    with pytest.raises(ssmconf.ValidationError):
        r.history("auth.hf")
    plan = r.init(dry_run=True)
    manual = {item.key: item.reason for item in plan.manual}
    assert set(manual) >= {"auth.jwt", "auth.jwt_previous", "auth.hf", "auth.missing", "auth.broken"}
    assert "Secrets Manager" in (manual["auth.missing"] or "")
    assert plan.created == []
    report = r.check()
    assert [(p.key, p.kind) for p in report.problems] == [("auth.broken", "invalid")]
    assert not any(s in p.message for p in report.problems for s in SECRETS)


def test_async_reads_of_references_share_the_resolver_path(
    seeded: str, make_resolver: Callable[..., ssmconf.Resolver]
) -> None:
    import asyncio

    r = make_resolver(_schema(0))

    async def read() -> list[Any]:
        report = await r.aload_all()
        assert report["loaded"] == 3
        return [await r.aget("auth.jwt"), await r.arequire("auth.hf"), await r.aget("auth.missing")]

    assert asyncio.run(read()) == [JWT_2, HF, "fallback"]
    assert r.stats()["ssm_calls"] == 4, "one request per reference, then the cache"
