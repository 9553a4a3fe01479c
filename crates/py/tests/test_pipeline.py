"""The deploy pipeline from Python: env_vars, import, promote_to and rollback.

Thin bindings over the core (the command line's exec, import, promote and
rollback call the same functions); what they wrote is read back with boto3.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import ssmconf

SCHEMA = """
models:
  basic:
    ssm_param: /it/{stage}/models/basic
    description: Basic tier model
    default: GPT_4O
    allowed: [GPT_4O, CLAUDE_OPUS_4_5]
  limits:
    ssm_param: /it/{stage}/models/limits
    type: json
secrets:
  token:
    ssm_param: /it/{stage}/secrets/token
    secure: true
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
    env: INSTANCE
training:
  epochs: 3
"""

SECRET = "tok_n3ver_pr1nt_me"


def test_env_vars_are_what_exec_sets(make_resolver, seed, stage):
    r = make_resolver(SCHEMA)
    with pytest.raises(ssmconf.NotFoundError, match="ec2.instance_id"):
        r.env_vars()
    seed(f"/it/{stage}/ec2/instance-id", "i-1")
    seed(f"/it/{stage}/secrets/token", SECRET, type="SecureString")
    seed(f"/it/{stage}/models/limits", '{"rpm": 60}')
    r.clear_cache()
    assert r.env_vars() == {
        "MODELS_BASIC": "GPT_4O",
        "MODELS_LIMITS": '{"rpm":60}',
        "SECRETS_TOKEN": SECRET,
        "INSTANCE": "i-1",
        "TRAINING_EPOCHS": "3",
    }
    assert r.env_vars(only=["models.basic", "training"]) == {"MODELS_BASIC": "GPT_4O", "TRAINING_EPOCHS": "3"}
    with pytest.raises(ssmconf.UnknownKeyError):
        r.env_vars(only=["model"])


def test_import_writes_nothing_on_one_refusal_then_exactly_the_plan(make_resolver, peek, stage, tmp_path: Path):
    r = make_resolver(SCHEMA)
    bad = tmp_path / "values.yml"
    bad.write_text("models:\n  basic: GPT_2\n  limits: {rpm: 10}\nsecrets:\n  token: " + SECRET + "\n")
    plan = r.import_file(bad)
    assert plan["written"] is False and plan["format"] == "yaml"
    assert [(i["key"], i["line"], i["column"]) for i in plan["refused"]] == [("models.basic", 2, 10)]
    assert "allowed" in plan["refused"][0]["reason"]
    assert SECRET not in json.dumps(plan)
    assert peek(f"/it/{stage}/models/limits") is None and peek(f"/it/{stage}/secrets/token") is None

    plan = r.import_values({"models.limits": {"rpm": 10}, "secrets": {"token": SECRET}})
    assert plan["written"] is True
    assert [i["key"] for i in plan["created"]] == ["models.limits", "secrets.token"]
    assert plan["created"][1]["value"] == "***"
    assert peek(f"/it/{stage}/models/limits")["Value"] == '{"rpm":10}'
    token = peek(f"/it/{stage}/secrets/token")
    assert (token["Value"], token["Type"]) == (SECRET, "SecureString")
    assert r.get("models.limits") == {"rpm": 10}

    with pytest.raises(ssmconf.SchemaError) as info:
        r.import_file(tmp_path / "missing.json")
    assert "cannot read the file" in str(info.value)
    with pytest.raises(ssmconf.ValidationError, match="not a format"):
        r.import_file(bad, format="toml")


def test_promote_to_writes_only_what_differs_with_type_and_description(store, schema, seed, peek, boto_ssm):
    dev, staging = "d" + uuid.uuid4().hex[:10], "s" + uuid.uuid4().hex[:10]
    path = schema(SCHEMA)
    source = ssmconf.Resolver(path, vars={"stage": dev}, store=store)
    target = ssmconf.Resolver(path, vars={"stage": staging}, store=store)
    seed(f"/it/{dev}/models/basic", "CLAUDE_OPUS_4_5", description="set by hand")
    seed(f"/it/{dev}/secrets/token", SECRET, type="SecureString")
    seed(f"/it/{dev}/ec2/instance-id", "i-same")
    seed(f"/it/{staging}/ec2/instance-id", "i-same")

    plan = source.promote_to(target, dry_run=True)
    assert plan["written"] is False
    assert peek(f"/it/{staging}/models/basic") is None
    done = source.promote_to(target)
    assert done["written"] is True
    assert [i["key"] for i in done["created"]] == ["models.basic", "secrets.token"]
    assert [i["key"] for i in done["unchanged"]] == ["ec2.instance_id"]
    assert SECRET not in json.dumps(done)
    token = peek(f"/it/{staging}/secrets/token")
    assert (token["Value"], token["Type"]) == (SECRET, "SecureString")
    assert peek(f"/it/{staging}/ec2/instance-id")["Version"] == 1
    described = boto_ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [f"/it/{staging}/models/basic"]}]
    )["Parameters"][0]
    assert described["Description"] == "set by hand"


def test_rollback_restores_the_previous_value_as_a_new_version(make_resolver, peek, stage):
    r = make_resolver(SCHEMA)
    r.put("models.basic", "GPT_4O")
    r.put("models.basic", "CLAUDE_OPUS_4_5")
    done = r.rollback("models.basic")
    assert (done["from_version"], done["restored_version"], done["version"]) == (2, 1, 3)
    assert done["description"] == "Basic tier model"
    assert peek(f"/it/{stage}/models/basic")["Value"] == "GPT_4O"
    assert r.get("models.basic") == "GPT_4O"
    with pytest.raises(ssmconf.ValidationError, match="current one"):
        r.rollback("models.basic", to=3)
