"""What boto3 writes, ssmconf reads; what ssmconf writes, boto3 reads."""

from __future__ import annotations

import json

SCHEMA = """
app:
  model:
    ssm_param: /it/{stage}/app/model
    description: Default model
    default: GPT_4O
  models:
    ssm_param: /it/{stage}/app/models
    type: list
    default: [GPT_4O, CLAUDE_OPUS_4_5]
  token:
    ssm_param: /it/{stage}/app/token
    secure: true
    description: API token
  limits:
    ssm_param: /it/{stage}/app/limits
    type: json
  retries:
    ssm_param: /it/{stage}/app/retries
    type: int
  enabled:
    ssm_param: /it/{stage}/app/enabled
    type: bool
  ratio:
    ssm_param: /it/{stage}/app/ratio
    type: float
"""


def test_ssmconf_reads_what_boto3_writes(make_resolver, seed, stage):
    seed(f"/it/{stage}/app/model", "CLAUDE_SONNET_4_5", description="written by boto3")
    seed(f"/it/{stage}/app/models", "A,B,C", type="StringList")
    seed(f"/it/{stage}/app/token", "tok-from-boto3", type="SecureString")
    seed(f"/it/{stage}/app/limits", json.dumps({"rpm": 60, "nested": {"ok": True}}))
    seed(f"/it/{stage}/app/retries", "5")
    seed(f"/it/{stage}/app/enabled", "false")
    seed(f"/it/{stage}/app/ratio", "1e-3")
    r = make_resolver(SCHEMA)
    assert r.load_all()["loaded"] == 7
    assert r.get("app.model") == "CLAUDE_SONNET_4_5"
    assert r.get("app.models") == ["A", "B", "C"]
    assert r.get("app.token") == "tok-from-boto3"
    assert r.get("app.limits") == {"rpm": 60, "nested": {"ok": True}}
    assert r.get("app.retries") == 5
    assert r.get("app.enabled") is False
    assert r.get("app.ratio") == 1e-3
    assert r.explain("app.model").description == "Default model", "explain describes the schema entry"

    assert seed(f"/it/{stage}/app/model", "GPT_5_MINI") == 2
    r.invalidate("app.model")
    why = r.explain("app.model")
    assert (why.value, why.version) == ("GPT_5_MINI", 2)
    assert [h.value for h in r.history("app.model")] == ["GPT_5_MINI", "CLAUDE_SONNET_4_5"]


def test_boto3_reads_what_ssmconf_puts(make_resolver, boto_ssm, stage):
    r = make_resolver(SCHEMA)
    puts = {
        "app.model": ("CLAUDE_OPUS_4_5", "CLAUDE_OPUS_4_5", "String"),
        "app.models": (["GPT_4O", "GPT_5_MINI"], "GPT_4O,GPT_5_MINI", "StringList"),
        "app.token": ("tok-from-ssmconf", "tok-from-ssmconf", "SecureString"),
        "app.retries": (7, "7", "String"),
        "app.enabled": (True, "true", "String"),
        "app.ratio": (0.5, "0.5", "String"),
    }
    for key, (value, raw, kind) in puts.items():
        assert r.put(key, value) == 1
        got = boto_ssm.get_parameter(Name=r.ssm_name(key), WithDecryption=True)["Parameter"]
        assert (got["Value"], got["Type"], got["Version"]) == (raw, kind, 1), key
        assert r.get(key) == value, key

    r.put("app.limits", {"rpm": 10, "burst": [1, 2]})
    got = boto_ssm.get_parameter(Name=f"/it/{stage}/app/limits")["Parameter"]
    assert json.loads(got["Value"]) == {"rpm": 10, "burst": [1, 2]}

    encrypted = boto_ssm.get_parameter(Name=f"/it/{stage}/app/token", WithDecryption=False)["Parameter"]
    assert encrypted["Type"] == "SecureString"
    described = boto_ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [f"/it/{stage}/app/token"]}]
    )["Parameters"]
    assert described[0]["Description"] == "API token", "put writes the entry's description"


def test_boto3_reads_what_ssmconf_inits(make_resolver, boto_ssm, stage):
    r = make_resolver(SCHEMA)
    plan = r.init()
    assert sorted(i.key for i in plan.created) == ["app.model", "app.models"]
    model = boto_ssm.get_parameter(Name=f"/it/{stage}/app/model", WithDecryption=True)["Parameter"]
    assert (model["Value"], model["Type"]) == ("GPT_4O", "String")
    models = boto_ssm.get_parameter(Name=f"/it/{stage}/app/models")["Parameter"]
    assert (models["Value"], models["Type"]) == ("GPT_4O,CLAUDE_OPUS_4_5", "StringList")
    described = boto_ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [f"/it/{stage}/app/model"]}]
    )["Parameters"]
    assert described[0]["Description"] == "Default model"
