"""The cache-hit path of ``get``, ``require`` and ``r[key]`` keeps the chain's semantics.

A hit reads the cached value in place and returns a Python object kept
beside it (for str, int, float, bool); these tests pin down what that must
not change: hits are counted, lists and dicts are never shared between
readers, TTLs expire on time, an ``env`` variable still wins.
"""

from __future__ import annotations

import time

SCHEMA = """
app:
  model:
    ssm_param: /it/{stage}/app/model
  tokens:
    ssm_param: /it/{stage}/app/tokens
    type: int
  models:
    ssm_param: /it/{stage}/app/models
    type: list
  limits:
    ssm_param: /it/{stage}/app/limits
    type: json
  region:
    ssm_param: /it/{stage}/app/region
    env: SSMCONF_TEST_HIT_REGION
"""


def seed_all(seed, stage):
    seed(f"/it/{stage}/app/model", "GPT_4O")
    seed(f"/it/{stage}/app/tokens", "4096")
    seed(f"/it/{stage}/app/models", "GPT_4O,CLAUDE_OPUS_4_5", type="StringList")
    seed(f"/it/{stage}/app/limits", '{"rpm": 60, "tiers": ["basic"]}')
    seed(f"/it/{stage}/app/region", "us-east-1")


def test_a_hit_returns_one_kept_object_and_is_counted(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    r.load_all()
    before = r.stats()
    first = r.get("app.model")
    assert first == "GPT_4O"
    assert r.get("app.model") is first, "an immutable value is made once per fetch"
    assert r["app.model"] is first and r.require("app.model") is first
    assert r.get("app.tokens") == 4096
    after = r.stats()
    assert after["hits"] == before["hits"] + 5
    assert after["ssm_calls"] == before["ssm_calls"]
    assert after["misses"] == before["misses"]


def test_a_list_or_dict_is_a_new_object_on_every_read(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    r.load_all()
    models = r.get("app.models")
    models.append("MUTATED")
    assert r.get("app.models") == ["GPT_4O", "CLAUDE_OPUS_4_5"]
    assert r.get("app.models") is not r.get("app.models")
    limits = r["app.limits"]
    limits["tiers"].append("MUTATED")
    limits["rpm"] = 0
    assert r["app.limits"] == {"rpm": 60, "tiers": ["basic"]}


def test_a_hit_expires_with_its_ttl(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA, ttl=0.3)
    assert r.get("app.model") == "GPT_4O"
    seed(f"/it/{stage}/app/model", "CLAUDE_OPUS_4_5")
    assert r.get("app.model") == "GPT_4O", "still fresh"
    calls = r.stats()["ssm_calls"]
    time.sleep(0.45)
    assert r.get("app.model") == "CLAUDE_OPUS_4_5", "expired: fetched again"
    assert r.stats()["ssm_calls"] == calls + 1


def test_an_invalidated_key_is_not_served_from_the_hit_path(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    assert r.get("app.model") == "GPT_4O"
    seed(f"/it/{stage}/app/model", "CLAUDE_OPUS_4_5")
    r.invalidate("app.model")
    assert r.get("app.model") == "CLAUDE_OPUS_4_5"


def test_an_env_variable_wins_over_a_cached_value(make_resolver, seed, stage, monkeypatch):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    r.load_all()
    assert r.get("app.region") == "us-east-1"
    monkeypatch.setenv("SSMCONF_TEST_HIT_REGION", "eu-west-1")
    assert r.get("app.region") == "eu-west-1"
    assert r.explain("app.region").source == "env"
