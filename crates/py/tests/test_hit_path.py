"""The cache-hit path of ``get``, ``require`` and ``r[key]`` keeps the chain's semantics.

A hit reads the cached value in place and returns a Python object kept
beside it (for str, int, float, bool); a repeated hit with the same key
object takes a shortcut (the object of its last hit, proven current by a
stamp). These tests pin down what neither may change: hits are counted,
lists and dicts are never shared between readers, TTLs expire on time,
every way of dropping a cached value is seen at once, an ``env`` variable
still wins.
"""

from __future__ import annotations

import time

import pytest

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


def test_a_repeated_hit_sees_every_change_to_the_cache_at_once(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    key = "app.model"  # one str object, read again and again: the shortcut
    name = f"/it/{stage}/app/model"

    def read_repeatedly():
        first = r.get(key)
        assert r.get(key) is first and r[key] is first and r.require(key) is first
        return first

    assert read_repeatedly() == "GPT_4O"
    seed(name, "V2")
    assert read_repeatedly() == "GPT_4O", "cached for the TTL"
    r.invalidate(key)
    assert read_repeatedly() == "V2"
    seed(name, "V3")
    r.clear_cache()
    assert read_repeatedly() == "V3"
    seed(name, "V4")
    event = {
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": name, "operation": "Update", "type": "String"},
    }
    assert r.handle_change_event(event) == [key]
    assert read_repeatedly() == "V4"
    r.put(key, "V5")
    assert read_repeatedly() == "V5"
    assert r.explain(key).version == 5


def test_repeated_hits_are_each_counted(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    r.load_all()
    before = r.stats()
    for _ in range(1000):
        r.get("app.tokens")
    after = r.stats()
    assert after["hits"] == before["hits"] + 1000
    assert (after["misses"], after["ssm_calls"]) == (before["misses"], before["ssm_calls"])


def test_a_repeated_hit_expires_with_its_ttl(make_resolver, seed, stage):
    # Over a second of TTL, so that the coarse clock proves the shortcut
    # for a while (the last second always goes to the precise clock).
    seed_all(seed, stage)
    r = make_resolver(SCHEMA, ttl=2.2)
    key = "app.model"
    assert [r.get(key) for _ in range(3)] == ["GPT_4O"] * 3
    seed(f"/it/{stage}/app/model", "CLAUDE_OPUS_4_5")
    assert r.get(key) == "GPT_4O", "still fresh"
    time.sleep(2.35)
    assert r.get(key) == "CLAUDE_OPUS_4_5", "expired: fetched again"
    assert r.get(key) == "CLAUDE_OPUS_4_5"


def test_any_str_object_finds_its_key_and_anything_else_is_a_type_error(make_resolver, seed, stage):
    seed_all(seed, stage)
    r = make_resolver(SCHEMA)
    r.load_all()

    class Key(str):
        pass

    made = "".join(["app.", "model"])  # equal to the literal, another object
    assert r.get("app.model") == r.get(made) == r.get(Key("app.model")) == r[Key("app.model")] == "GPT_4O"
    for bad in (1, None, b"app.model"):
        with pytest.raises(TypeError, match="key must be a str"):
            r.get(bad)
        with pytest.raises(TypeError, match="key must be a str"):
            r[bad]
