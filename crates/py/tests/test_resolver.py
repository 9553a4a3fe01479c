"""Every blocking method of ``ssmconf.Resolver``, against a real SSM-compatible server.

Each result is cross-checked through boto3 where it concerns what SSM holds.
"""

from __future__ import annotations

import datetime
import logging
import time
from pathlib import Path
from typing import Any

import pytest

import ssmconf
from helpers import messages

MODELS = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    description: Default model for basic tier
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
  fallbacks:
    ssm_param: /it/{stage}/models/fallbacks
    default: [GPT_4O, CLAUDE_OPUS_4_5]
secrets:
  api_key:
    ssm_param: /it/{stage}/secrets/api-key
    secure: true
    default: s3cr3t-default
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
training:
  learning_rate: 1.0e-4
  epochs: 3
  layers: [64, 32]
"""

STAT_KEYS = {"hits", "misses", "ssm_calls", "ssm_errors", "stale_served", "defaults_served", "shared_hits", "shared_errors"}


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` that contains ``text``."""
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return n
    raise AssertionError(f"{text!r} not in {path}")


# --- get: every type ---------------------------------------------------------


def test_get_decodes_every_type(make_resolver, seed, stage):
    r = make_resolver(
        """
        values:
          name: {ssm_param: "/it/{stage}/name"}
          count: {ssm_param: "/it/{stage}/count", type: int}
          ratio: {ssm_param: "/it/{stage}/ratio", type: float}
          enabled: {ssm_param: "/it/{stage}/enabled", type: bool}
          disabled: {ssm_param: "/it/{stage}/disabled", type: bool}
          models: {ssm_param: "/it/{stage}/models", type: list}
          limits: {ssm_param: "/it/{stage}/limits", type: json}
          typed_by_default: {ssm_param: "/it/{stage}/typed", default: 7}
        """
    )
    seed(f"/it/{stage}/name", "hello world")
    seed(f"/it/{stage}/count", "-42")
    seed(f"/it/{stage}/ratio", "0.25")
    seed(f"/it/{stage}/enabled", "TRUE")
    seed(f"/it/{stage}/disabled", "0")
    seed(f"/it/{stage}/models", "GPT_4O,CLAUDE_OPUS_4_5", type="StringList")
    seed(f"/it/{stage}/limits", '{"rpm": 60, "burst": [1, 2], "name": "x"}')
    seed(f"/it/{stage}/typed", "12")

    name = r.get("values.name")
    assert name == "hello world" and type(name) is str
    count = r.get("values.count")
    assert count == -42 and type(count) is int
    ratio = r.get("values.ratio")
    assert ratio == 0.25 and type(ratio) is float
    assert r.get("values.enabled") is True
    assert r.get("values.disabled") is False
    assert r.get("values.models") == ["GPT_4O", "CLAUDE_OPUS_4_5"]
    assert r.get("values.limits") == {"rpm": 60, "burst": [1, 2], "name": "x"}
    typed = r.get("values.typed_by_default")
    assert typed == 12 and type(typed) is int, "the type comes from the default when `type` is absent"


def test_get_with_defaults_caller_and_schema(make_resolver, stage):
    r = make_resolver(
        """
        ec2:
          instance_id:
            ssm_param: /it/{stage}/ec2/instance-id
            required: true
        model:
          ssm_param: /it/{stage}/model
          default: GPT_4O
        """
    )
    assert r.get("ec2.instance_id") is None
    assert r.get("ec2.instance_id") is None
    assert r.stats()["ssm_calls"] == 1, "`does not exist` is cached too"

    sentinel = object()
    assert r.get("ec2.instance_id", sentinel) is sentinel, "the caller's default comes back as it is"
    assert r.get("ec2.instance_id", "i-caller") == "i-caller"
    assert r.get("ec2.instance_id", 0) == 0, "a falsy caller default is still a default"

    assert r.get("model") == "GPT_4O"
    assert r.get("model", "CALLER") == "GPT_4O", "the schema default comes before the caller's"
    why = r.explain("model")
    assert why.source == "default"
    assert why.value == "GPT_4O"
    assert why.version is None
    assert r.explain("ec2.instance_id").source == "none"


# --- require, [], in, keys ---------------------------------------------------


def test_require_and_getitem(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    assert r.require("models.default_basic") == "CLAUDE_3_5_SONNET_V2"
    assert r["models.default_basic"] == "CLAUDE_3_5_SONNET_V2"
    assert r.require("training.epochs") == 3
    assert r["training.epochs"] == 3
    with pytest.raises(ssmconf.NotFoundError):
        r.require("ec2.instance_id")
    with pytest.raises(ssmconf.NotFoundError):
        r["ec2.instance_id"]
    with pytest.raises(KeyError):
        r["no.such.key"]

    seed(f"/it/{stage}/ec2/instance-id", "i-0abc")
    r.invalidate("ec2.instance_id")
    assert r.require("ec2.instance_id") == "i-0abc"
    assert r["ec2.instance_id"] == "i-0abc"


def test_contains_and_keys(make_resolver):
    r = make_resolver(MODELS)
    assert "models.default_basic" in r
    assert "training.epochs" in r, "a literal is a key of the schema"
    assert "models.default_basc" not in r
    assert "" not in r
    assert r.keys() == [
        "models.default_basic",
        "models.fallbacks",
        "secrets.api_key",
        "ec2.instance_id",
        "training.learning_rate",
        "training.epochs",
        "training.layers",
    ]
    assert r.ssm_name("models.default_basic").endswith("/models/default_basic")


def test_contains_with_a_non_str_is_false(make_resolver):
    # The stub: `def __contains__(self, key: object) -> bool`, like a dict's `42 in d`.
    r = make_resolver(MODELS)
    assert 42 not in r
    assert None not in r


# --- explain -------------------------------------------------------------------


def test_explain_fields_of_a_value_from_ssm(make_resolver, schema, seed, stage):
    r = make_resolver(MODELS, ttl=120)
    name = f"/it/{stage}/models/default_basic"
    seed(name, "GPT_4O")
    seed(name, "CLAUDE_OPUS_4_5")
    before = datetime.datetime.now(datetime.timezone.utc)
    why = r.explain("models.default_basic")
    after = datetime.datetime.now(datetime.timezone.utc)

    assert isinstance(why, ssmconf.Resolved)
    assert why.key == "models.default_basic"
    assert why.value == "CLAUDE_OPUS_4_5"
    assert why.source == "ssm"
    assert why.ssm_param == name
    assert why.version == 2
    assert isinstance(why.fetched_at, datetime.datetime)
    assert isinstance(why.expires_at, datetime.datetime)
    assert why.fetched_at.tzinfo is not None, "times are aware (UTC), comparable with datetime.now(timezone.utc)"
    slack = datetime.timedelta(seconds=2)
    assert before - slack <= why.fetched_at <= after + slack
    lifetime = (why.expires_at - why.fetched_at).total_seconds()
    assert 100 <= lifetime <= 120, f"expires after the resolver's ttl=120, got {lifetime}"
    assert why.error is None
    assert why.description == "Default model for basic tier"
    path = schema(MODELS)
    assert why.file is not None and Path(why.file).name == path.name
    assert why.line == line_of(path, "default_basic:")
    assert why.secure is False
    assert isinstance(why.steps, list) and why.steps
    assert all(isinstance(s, tuple) and len(s) == 2 and all(isinstance(p, str) for p in s) for s in why.steps)
    assert why.steps[-1][0] == "ssm", why.steps
    assert "CLAUDE_OPUS_4_5" in repr(why), "a non-secure value is shown"

    again = r.explain("models.default_basic")
    assert again.source == "ssm" and again.version == 2
    assert abs(again.fetched_at - why.fetched_at) < datetime.timedelta(milliseconds=1), "the same fetch"
    assert "cache" in [step for step, _ in again.steps]
    assert r.stats()["ssm_calls"] == 1, "the second explain answers from the cache"


def test_explain_of_defaults_literals_and_nothing(make_resolver, schema):
    r = make_resolver(MODELS)
    default = r.explain("models.default_basic")
    assert (default.source, default.value, default.version, default.error) == (
        "default",
        "CLAUDE_3_5_SONNET_V2",
        None,
        None,
    )
    literal = r.explain("training.epochs")
    assert (literal.source, literal.value, literal.ssm_param) == ("literal", 3, None)
    assert literal.line == line_of(schema(MODELS), "epochs:")
    nothing = r.explain("ec2.instance_id")
    assert (nothing.source, nothing.value) == ("none", None)
    assert nothing.ssm_param is not None and nothing.ssm_param.endswith("/ec2/instance-id")


# --- load_all, extract -----------------------------------------------------------


def test_load_all_thirty_entries_in_three_calls(make_resolver, seed, stage):
    yaml = "params:\n" + "".join(
        f"  p{i}:\n    ssm_param: /it/{{stage}}/p{i}\n    type: int\n" for i in range(30)
    )
    for i in range(30):
        seed(f"/it/{stage}/p{i}", str(i))
    r = make_resolver(yaml)

    report = r.load_all()
    assert report == {"loaded": 30, "missing": 0, "failed": 0, "skipped": 0, "shared": 0}
    assert r.stats()["ssm_calls"] == 3, "30 names make 3 GetParameters calls"
    assert [r.require(f"params.p{i}") for i in range(30)] == list(range(30))
    stats = r.stats()
    assert (stats["ssm_calls"], stats["hits"], stats["misses"]) == (3, 30, 0), "every read after load_all is a hit"

    again = r.load_all()
    assert (again["loaded"], again["skipped"]) == (0, 30), "fresh entries are not fetched again"
    assert r.stats()["ssm_calls"] == 3


def test_load_all_counts_missing(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    seed(f"/it/{stage}/models/default_basic", "GPT_4O")
    report = r.load_all()
    assert report == {"loaded": 1, "missing": 3, "failed": 0, "skipped": 0, "shared": 0}
    assert r.stats()["ssm_calls"] == 1


def test_extract_is_the_whole_tree_as_nested_dicts(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    seed(f"/it/{stage}/models/fallbacks", "GPT_4O,CLAUDE_3_7_SONNET", type="StringList")
    tree = r.extract()
    assert tree == {
        "models": {"default_basic": "CLAUDE_3_5_SONNET_V2", "fallbacks": ["GPT_4O", "CLAUDE_3_7_SONNET"]},
        "secrets": {"api_key": "s3cr3t-default"},
        "training": {"learning_rate": 1.0e-4, "epochs": 3, "layers": [64, 32]},
    }, "keys without a value (ec2.instance_id) are left out"
    assert r.stats()["ssm_calls"] == 1, "extract fetches in batches"


# --- writing --------------------------------------------------------------------


def test_put_then_get_reads_your_write(make_resolver, peek, stage, ssmconf_logs):
    r = make_resolver(MODELS)
    name = f"/it/{stage}/models/default_basic"
    assert r.get("models.default_basic") == "CLAUDE_3_5_SONNET_V2"

    version = r.put("models.default_basic", "CLAUDE_OPUS_4_5")
    assert version == 1 and type(version) is int
    assert peek(name)["Value"] == "CLAUDE_OPUS_4_5"
    assert r.get("models.default_basic") == "CLAUDE_OPUS_4_5", "the write drops the key from the cache"
    assert r.explain("models.default_basic").version == 1
    assert f"Parameter updated in Parameter Store: {name} (version 1)" in messages(ssmconf_logs, logging.INFO)

    assert r.put("models.default_basic", "GPT_4O") == 2
    assert r["models.default_basic"] == "GPT_4O"
    assert f"Parameter updated in Parameter Store: {name} (version 2)" in messages(ssmconf_logs, logging.INFO)

    assert r.put("models.fallbacks", ["GPT_4O", "CLAUDE_3_7_SONNET"]) == 1
    assert r.get("models.fallbacks") == ["GPT_4O", "CLAUDE_3_7_SONNET"]


def test_invalidate_drops_one_key(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    basic = f"/it/{stage}/models/default_basic"
    seed(basic, "GPT_4O")
    seed(f"/it/{stage}/ec2/instance-id", "i-1")
    assert r.get("models.default_basic") == "GPT_4O"
    assert r.get("ec2.instance_id") == "i-1"
    seed(basic, "CLAUDE_OPUS_4_5")
    seed(f"/it/{stage}/ec2/instance-id", "i-2")
    assert r.get("models.default_basic") == "GPT_4O", "cached for the TTL"

    assert r.invalidate("models.default_basic") is None
    assert r.get("models.default_basic") == "CLAUDE_OPUS_4_5"
    assert r.get("ec2.instance_id") == "i-1", "other keys stay cached"
    with pytest.raises(ssmconf.UnknownKeyError):
        r.invalidate("models.no_such_key")


def test_clear_cache_drops_every_key(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    seed(f"/it/{stage}/models/default_basic", "GPT_4O")
    seed(f"/it/{stage}/ec2/instance-id", "i-1")
    r.load_all()
    seed(f"/it/{stage}/models/default_basic", "CLAUDE_OPUS_4_5")
    seed(f"/it/{stage}/ec2/instance-id", "i-2")
    assert (r.get("models.default_basic"), r.get("ec2.instance_id")) == ("GPT_4O", "i-1")
    r.clear_cache()
    assert (r.get("models.default_basic"), r.get("ec2.instance_id")) == ("CLAUDE_OPUS_4_5", "i-2")


def test_init_dry_run_writes_nothing(make_resolver, peek, stage):
    r = make_resolver(MODELS)
    plan = r.init(dry_run=True)
    assert isinstance(plan, ssmconf.InitPlan)
    assert plan.dry_run is True
    assert [i.key for i in plan.created] == ["models.default_basic", "models.fallbacks", "secrets.api_key"]
    assert [i.key for i in plan.manual] == ["ec2.instance_id"]
    assert plan.skipped == [] and plan.overwritten == [] and plan.failed == []
    basic = plan.created[0]
    assert isinstance(basic, ssmconf.PlanItem)
    assert (basic.ssm_param, basic.type, basic.value) == (
        f"/it/{stage}/models/default_basic",
        "String",
        "CLAUDE_3_5_SONNET_V2",
    )
    assert plan.created[1].type == "StringList"
    assert (plan.created[2].type, plan.created[2].value) == ("SecureString", "***")
    for item in plan.created:
        assert peek(item.ssm_param) is None, f"a dry run writes nothing: {item.ssm_param}"
    assert r.get("models.default_basic") == "CLAUDE_3_5_SONNET_V2"
    assert r.explain("models.default_basic").source == "default"


def test_init_creates_with_types_and_descriptions_then_skips(make_resolver, peek, boto_ssm, stage):
    r = make_resolver(MODELS)
    basic = f"/it/{stage}/models/default_basic"
    plan = r.init()
    assert plan.dry_run is False
    assert [i.key for i in plan.created] == ["models.default_basic", "models.fallbacks", "secrets.api_key"]
    assert plan.failed == [], plan.failed
    assert all(i.version == 1 for i in plan.created), plan.created

    written = peek(basic)
    assert (written["Value"], written["Type"]) == ("CLAUDE_3_5_SONNET_V2", "String")
    fallbacks = peek(f"/it/{stage}/models/fallbacks")
    assert (fallbacks["Value"], fallbacks["Type"]) == ("GPT_4O,CLAUDE_OPUS_4_5", "StringList")
    secret = peek(f"/it/{stage}/secrets/api-key")
    assert (secret["Value"], secret["Type"]) == ("s3cr3t-default", "SecureString")
    history = boto_ssm.get_parameter_history(Name=basic)["Parameters"]
    assert history[0]["Description"] == "Default model for basic tier"
    assert peek(f"/it/{stage}/ec2/instance-id") is None, "an entry without a default is left for manual setup"

    again = r.init()
    assert again.created == []
    assert [i.key for i in again.skipped] == ["models.default_basic", "models.fallbacks", "secrets.api_key"]
    assert [i.version for i in again.skipped] == [1, 1, 1]

    r.put("models.default_basic", "GPT_4O")
    forced = r.init(overwrite=True)
    assert [i.key for i in forced.overwritten] == ["models.default_basic", "models.fallbacks", "secrets.api_key"]
    assert peek(basic)["Value"] == "CLAUDE_3_5_SONNET_V2"
    assert r.get("models.default_basic") == "CLAUDE_3_5_SONNET_V2", "init drops what it writes from the cache"


def test_check_lists_missing_required_and_not_allowed(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    seed(f"/it/{stage}/models/default_basic", "NOT_ALLOWED")
    report = r.check()
    assert isinstance(report, ssmconf.CheckReport)
    found = [(p.key, p.kind) for p in report.problems]
    assert found == [("models.default_basic", "invalid"), ("ec2.instance_id", "missing")]
    assert "NOT_ALLOWED" in report.problems[0].message, report.problems[0]
    assert report.problems[0].ssm_param == f"/it/{stage}/models/default_basic"
    assert isinstance(report.problems[0], ssmconf.Problem)
    assert report.ok is False
    assert not report
    assert len(report) == 2
    assert report.checked == 4, "every entry is checked (literals are not)"

    r.put("models.default_basic", "GPT_4O")
    seed(f"/it/{stage}/ec2/instance-id", "i-0abc")
    fixed = r.check()
    assert fixed.problems == []
    assert fixed.ok is True
    assert fixed
    assert len(fixed) == 0


def test_history_is_newest_first_and_masks_secrets(make_resolver, stage):
    r = make_resolver(MODELS)
    for model in ["GPT_4O", "CLAUDE_OPUS_4_5", "CLAUDE_3_5_SONNET_V2"]:
        r.put("models.default_basic", model)
    history = r.history("models.default_basic")
    assert [(h.version, h.value) for h in history] == [
        (3, "CLAUDE_3_5_SONNET_V2"),
        (2, "CLAUDE_OPUS_4_5"),
        (1, "GPT_4O"),
    ]
    assert all(isinstance(h, ssmconf.HistoryEntry) for h in history)
    assert all(h.type == "String" for h in history)
    assert all(isinstance(h.modified_at, datetime.datetime) for h in history)
    assert history[0].modified_at >= history[-1].modified_at
    assert history[0].description == "Default model for basic tier"
    assert isinstance(history[0].labels, list)

    r.put("secrets.api_key", "top-secret-1")
    r.put("secrets.api_key", "top-secret-2")
    secret = r.history("secrets.api_key")
    assert [(h.version, h.value, h.type) for h in secret] == [(2, "***", "SecureString"), (1, "***", "SecureString")]
    assert r.history("ec2.instance_id") == [], "a parameter never written has no history"


def test_stats_counts(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    assert r.stats() == dict.fromkeys(STAT_KEYS, 0)
    assert all(type(v) is int for v in r.stats().values())
    r.get("models.default_basic")  # miss, call, default
    r.get("models.default_basic")  # hit, default
    r.get("training.epochs")  # literal: no cache, no call
    stats = r.stats()
    assert set(stats) == STAT_KEYS
    assert (stats["misses"], stats["hits"], stats["ssm_calls"], stats["ssm_errors"]) == (1, 1, 1, 0)
    assert stats["defaults_served"] == 2
    assert stats["stale_served"] == 0


def test_handle_change_event_drops_the_named_key(make_resolver, seed, stage):
    r = make_resolver(MODELS)
    name = f"/it/{stage}/models/default_basic"
    seed(name, "GPT_4O")
    assert r.require("models.default_basic") == "GPT_4O"
    seed(name, "CLAUDE_OPUS_4_5")
    assert r.require("models.default_basic") == "GPT_4O", "cached for the TTL"

    event = {
        "version": "0",
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": name, "operation": "Update", "type": "String"},
    }
    assert r.handle_change_event(event) == ["models.default_basic"]
    why = r.explain("models.default_basic")
    assert (why.value, why.source, why.version) == ("CLAUDE_OPUS_4_5", "ssm", 2)

    assert r.handle_change_event({"detail-type": "Something else"}) == []
    other = dict(event, detail={"name": f"/it/{stage}/not/in/schema", "operation": "Update"})
    assert r.handle_change_event(other) == []
    assert r.stats()["ssm_calls"] == 2


# --- schemas: a file, a directory, a dict; literals; vars ------------------------------


def test_schema_from_a_yaml_file_as_str_and_pathlike(schema, store, stage):
    path = schema(MODELS, name="app.yml")
    for arg in (str(path), path):
        r = ssmconf.Resolver(arg, vars={"stage": stage}, store=store)
        assert r.get("models.default_basic") == "CLAUDE_3_5_SONNET_V2"
        assert Path(r.explain("models.default_basic").file or "").name == "app.yml"


def test_schema_from_a_directory_mounts_files_by_stem(tmp_path, store, seed, stage):
    config = tmp_path / "config"
    config.mkdir()
    (config / "aws_config.yml").write_text(
        "ec2:\n  instance_id:\n    ssm_param: /it/{stage}/ec2/instance-id\n    required: true\n"
    )
    (config / "models.yaml").write_text(
        "default_basic:\n  ssm_param: /it/{stage}/models/default_basic\n  default: GPT_4O\n"
    )
    (config / "notes.txt").write_text("not a schema")
    seed(f"/it/{stage}/ec2/instance-id", "i-0dir")
    r = ssmconf.Resolver(config, vars={"stage": stage}, store=store)
    assert sorted(r.keys()) == ["aws.ec2.instance_id", "models.default_basic"]
    assert r.require("aws.ec2.instance_id") == "i-0dir"
    assert r.get("models.default_basic") == "GPT_4O"
    assert Path(r.explain("aws.ec2.instance_id").file or "").name == "aws_config.yml"
    assert ssmconf.Resolver(str(config), vars={"stage": stage}, store=store).keys() == r.keys()


def test_schema_from_a_dict(store, seed, stage):
    spec: dict[str, Any] = {
        "models": {
            "default_basic": {
                "ssm_param": "/it/{stage}/models/default_basic",
                "default": "GPT_4O",
                "allowed": ["GPT_4O", "CLAUDE_OPUS_4_5"],
                "ttl": "5m",
            }
        },
        "training": {"epochs": 3, "learning_rate": 1.0e-4},
    }
    r = ssmconf.Resolver(spec, vars={"stage": stage}, store=store)
    assert r.keys() == ["models.default_basic", "training.epochs", "training.learning_rate"]
    assert r.get("models.default_basic") == "GPT_4O"
    seed(f"/it/{stage}/models/default_basic", "CLAUDE_OPUS_4_5")
    r.invalidate("models.default_basic")
    assert r.get("models.default_basic") == "CLAUDE_OPUS_4_5"
    assert r["training.epochs"] == 3
    assert spec["models"]["default_basic"]["ttl"] == "5m", "the caller's dict is not modified"


def test_literals_resolve_to_themselves_without_a_call(make_resolver):
    r = make_resolver(MODELS)
    epochs = r.get("training.epochs")
    assert epochs == 3 and type(epochs) is int
    assert r.get("training.learning_rate") == 1.0e-4
    assert r.get("training.layers") == [64, 32]
    assert r.get("training.epochs", 99) == 3
    assert r.stats()["ssm_calls"] == 0


def test_vars_fill_placeholders(schema, store, seed, stage):
    path = schema(
        """
        model:
          ssm_param: /it/{stage}/{app}/model
        """
    )
    seed(f"/it/{stage}/coach/model", "GPT_4O")
    seed(f"/it/{stage}/admin/model", "CLAUDE_OPUS_4_5")
    coach = ssmconf.Resolver(path, vars={"stage": stage, "app": "coach"}, store=store)
    admin = ssmconf.Resolver(path, vars={"stage": stage, "app": "admin"}, store=store)
    assert coach.ssm_name("model") == f"/it/{stage}/coach/model"
    assert coach.explain("model").ssm_param == f"/it/{stage}/coach/model"
    assert (coach.get("model"), admin.get("model")) == ("GPT_4O", "CLAUDE_OPUS_4_5")


# --- ttl -----------------------------------------------------------------------------


def test_ttl_zero_fetches_on_every_read(make_resolver, seed, stage):
    r = make_resolver("model:\n  ssm_param: /it/{stage}/model\n", ttl=0)
    seed(f"/it/{stage}/model", "A")
    assert r.get("model") == "A"
    seed(f"/it/{stage}/model", "B")
    assert r.get("model") == "B", "nothing is cached with ttl=0"
    assert r.get("model") == "B"
    assert r.stats()["ssm_calls"] == 3
    assert r.stats()["hits"] == 0
    assert r.explain("model").expires_at is None, "a value that is never cached never expires"


def test_entry_ttl_overrides_the_resolver_ttl(make_resolver, seed, stage):
    r = make_resolver(
        "fresh:\n  ssm_param: /it/{stage}/fresh\n  ttl: 0\ncached:\n  ssm_param: /it/{stage}/cached\n",
        ttl=300,
    )
    seed(f"/it/{stage}/fresh", "1")
    seed(f"/it/{stage}/cached", "1")
    assert (r.get("fresh"), r.get("cached")) == ("1", "1")
    seed(f"/it/{stage}/fresh", "2")
    seed(f"/it/{stage}/cached", "2")
    assert (r.get("fresh"), r.get("cached")) == ("2", "1")


def test_a_short_ttl_expires(make_resolver, seed, stage):
    r = make_resolver("model:\n  ssm_param: /it/{stage}/model\n", ttl=0.2)
    seed(f"/it/{stage}/model", "A")
    assert r.get("model") == "A"
    seed(f"/it/{stage}/model", "B")
    assert r.get("model") == "A"
    time.sleep(0.3)
    assert r.get("model") == "B"


# --- MemoryStore and the fallback chain while the store fails ------------------------------


SMALL = """
model:
  ssm_param: /it/{stage}/model
  default: DEFAULT_MODEL
other:
  ssm_param: /it/{stage}/other
  default: OTHER_DEFAULT
"""


def test_memory_store_values_set_value_and_calls(schema):
    mem = ssmconf.MemoryStore(values={"/it/mem/model": "GPT_4O"})
    assert mem.value("/it/mem/model") == "GPT_4O"
    assert mem.value("/it/mem/other") is None
    assert mem.calls == 0
    r = ssmconf.Resolver(schema(SMALL), vars={"stage": "mem"}, store=mem)
    why = r.explain("model")
    assert (why.value, why.source, why.version) == ("GPT_4O", "ssm", 1)
    assert mem.calls == 1

    assert mem.set("/it/mem/model", "CLAUDE_OPUS_4_5") == 2
    assert mem.value("/it/mem/model") == "CLAUDE_OPUS_4_5"
    assert r.get("model") == "GPT_4O", "cached"
    r.invalidate("model")
    assert r.get("model") == "CLAUDE_OPUS_4_5"

    assert r.put("other", "WRITTEN") == 1
    assert mem.value("/it/mem/other") == "WRITTEN"
    assert mem.set("/it/mem/list", "a,b", type="StringList") == 1
    with pytest.raises(ValueError):
        mem.set("/it/mem/bad", "x", type="Binary")  # type: ignore[arg-type]
    assert ssmconf.MemoryStore().value("/it/mem/model") is None


def test_a_failing_store_serves_the_stale_value_and_warns_once(schema, ssmconf_logs):
    mem = ssmconf.MemoryStore(values={"/it/mem/model": "GPT_4O"})
    r = ssmconf.Resolver(schema(SMALL), vars={"stage": "mem"}, store=mem)
    assert r.get("model") == "GPT_4O"

    mem.fail("simulated outage")
    r.invalidate("model")
    assert r.get("model") == "GPT_4O"
    assert r.get("model") == "GPT_4O"
    assert r.require("model") == "GPT_4O"
    why = r.explain("model")
    assert why.source == "stale"
    assert why.value == "GPT_4O"
    assert why.version == 1
    assert why.error is not None and "simulated outage" in why.error
    stats = r.stats()
    assert stats["ssm_errors"] == 1, "the failure is cached for the TTL, not retried per read"
    assert stats["stale_served"] >= 3

    warnings = [m for m in messages(ssmconf_logs, logging.WARNING) if m.startswith("Using fallback value for model")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("Using fallback value for model (stale): ")
    assert "simulated outage" in warnings[0]

    # A key never fetched has no stale value: the schema default answers.
    assert r.get("other") == "OTHER_DEFAULT"
    assert r.explain("other").source == "default"
    assert "simulated outage" in (r.explain("other").error or "")
    assert any(m.startswith("Using fallback value for other (default): ") for m in messages(ssmconf_logs))

    mem.fail(None)
    r.invalidate("model")
    assert r.explain("model").source == "ssm", "a healed store answers again"


def test_a_failing_store_without_default_falls_to_the_caller(schema):
    mem = ssmconf.MemoryStore()
    mem.fail("down")
    r = ssmconf.Resolver(schema("model:\n  ssm_param: /it/{stage}/model\n"), vars={"stage": "x"}, store=mem)
    assert r.get("model") is None
    assert r.get("model", "CALLER") == "CALLER"
    with pytest.raises(ssmconf.NotFoundError):
        r.require("model")


# --- logs ------------------------------------------------------------------------------


def test_logs_initialized_loaded_and_updated(make_resolver, seed, stage, ssmconf_logs):
    r = make_resolver(MODELS)
    assert "Parameter Store service initialized" in messages(ssmconf_logs, logging.INFO)
    seed(f"/it/{stage}/models/default_basic", "GPT_4O")
    r.load_all()
    assert "Loaded 1 parameters from Parameter Store" in messages(ssmconf_logs, logging.INFO)
    r.put("models.default_basic", "CLAUDE_OPUS_4_5")
    assert (
        f"Parameter updated in Parameter Store: /it/{stage}/models/default_basic (version 2)"
        in messages(ssmconf_logs, logging.INFO)
    )
    records = [rec for rec in ssmconf_logs.records if rec.name == "ssmconf"]
    assert records and all(rec.levelno in (5, 10, 20, 30, 40) for rec in records)


def test_info_logs_are_not_emitted_when_the_logger_is_at_warning(make_resolver, caplog):
    caplog.set_level(logging.WARNING, logger="ssmconf")
    make_resolver(MODELS)
    assert "Parameter Store service initialized" not in messages(caplog)


# --- env overrides, default TTL, the default store ------------------------------------------


def test_an_entry_env_variable_overrides_every_other_source(make_resolver, seed, stage, monkeypatch):
    var = f"SSMCONF_TEST_MODEL_{stage.upper()}"
    r = make_resolver(
        f"""
        model:
          ssm_param: /it/{{stage}}/model
          default: GPT_4O
          allowed: [GPT_4O, CLAUDE_OPUS_4_5, GPT_5_MINI]
          env: {var}
        """
    )
    seed(f"/it/{stage}/model", "CLAUDE_OPUS_4_5")
    assert r.get("model") == "CLAUDE_OPUS_4_5"
    monkeypatch.setenv(var, "GPT_5_MINI")
    assert r.get("model") == "GPT_5_MINI", "env wins over a cached SSM value"
    why = r.explain("model")
    assert (why.source, why.value) == ("env", "GPT_5_MINI")
    assert r.stats()["ssm_calls"] == 1
    assert r.load_all()["skipped"] == 1, "an overridden entry is not fetched"

    monkeypatch.setenv(var, "NOT_A_MODEL")
    with pytest.raises(ssmconf.ValidationError, match=var):
        r.get("model")
    monkeypatch.delenv(var)
    assert r.get("model") == "CLAUDE_OPUS_4_5"


def test_the_default_ttl_is_300_seconds(make_resolver, seed, stage):
    r = make_resolver("model:\n  ssm_param: /it/{stage}/model\n")
    seed(f"/it/{stage}/model", "A")
    why = r.explain("model")
    lifetime = (why.expires_at - why.fetched_at).total_seconds()
    assert 250 <= lifetime <= 300, lifetime


def test_ssmconf_ttl_changes_the_default_ttl(make_resolver, seed, stage, monkeypatch):
    monkeypatch.setenv("SSMCONF_TTL", "0")
    r = make_resolver("model:\n  ssm_param: /it/{stage}/model\n")
    explicit = make_resolver("model:\n  ssm_param: /it/{stage}/model\n", ttl=300)
    seed(f"/it/{stage}/model", "A")
    assert (r.get("model"), explicit.get("model")) == ("A", "A")
    seed(f"/it/{stage}/model", "B")
    assert r.get("model") == "B", "SSMCONF_TTL=0: nothing cached"
    assert explicit.get("model") == "A", "an explicit ttl wins over SSMCONF_TTL"
    assert r.stats()["ssm_calls"] == 2


def test_the_default_store_follows_the_aws_environment(schema, seed, stage, moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_endpoint)
    seed(f"/it/{stage}/model", "FROM_ENV_ENDPOINT")
    path = schema("model:\n  ssm_param: /it/{stage}/model\n")
    assert ssmconf.Resolver(path, vars={"stage": stage}).get("model") == "FROM_ENV_ENDPOINT"
    assert ssmconf.Resolver(path, vars={"stage": stage}, store=ssmconf.SsmStore()).get("model") == "FROM_ENV_ENDPOINT"


def test_load_all_counts_failures_while_the_store_fails(schema):
    mem = ssmconf.MemoryStore(values={"/it/mem/model": "GPT_4O"})
    r = ssmconf.Resolver(schema(SMALL), vars={"stage": "mem"}, store=mem)
    mem.fail("down")
    assert r.load_all() == {"loaded": 0, "missing": 0, "failed": 2, "skipped": 0, "shared": 0}
    assert (r.get("model"), r.get("other")) == ("DEFAULT_MODEL", "OTHER_DEFAULT")
    assert r.stats()["ssm_errors"] == 1


def test_a_delete_event_drops_the_key_and_the_default_answers(make_resolver, seed, boto_ssm, stage):
    r = make_resolver(MODELS)
    name = f"/it/{stage}/models/default_basic"
    seed(name, "GPT_4O")
    assert r.get("models.default_basic") == "GPT_4O"
    boto_ssm.delete_parameter(Name=name)
    event = {"source": "aws.ssm", "detail-type": "Parameter Store Change", "detail": {"name": name, "operation": "Delete"}}
    assert r.handle_change_event(event) == ["models.default_basic"]
    assert r.explain("models.default_basic").source == "default", "a deleted parameter does not come back as stale"


# --- SPEC.md: "ssmconf.MemoryStore(values=None) and ssmconf.FileStore(path) exist too" -----------


def test_file_store_of_the_spec(schema, tmp_path):
    assert hasattr(ssmconf, "FileStore"), "SPEC.md (Python): `ssmconf.FileStore(path)` exists"
    path = tmp_path / "params.json"
    writer = ssmconf.Resolver(schema(SMALL), vars={"stage": "file"}, store=ssmconf.FileStore(path))
    assert writer.put("model", "FROM_FILE") == 1
    reader = ssmconf.Resolver(schema(SMALL), vars={"stage": "file"}, store=ssmconf.FileStore(str(path)))
    assert reader.get("model") == "FROM_FILE"
