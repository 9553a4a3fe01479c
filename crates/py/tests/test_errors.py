"""Every exception class, its place in the hierarchy, its message and attributes;
and secure values, which appear nowhere but in the value ``get`` returns."""

from __future__ import annotations

import pytest

import ssmconf
from helpers import free_port, messages

MODELS = """
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
  retries:
    ssm_param: /it/{stage}/models/retries
    type: int
    default: 3
  fallbacks:
    ssm_param: /it/{stage}/models/fallbacks
    type: list
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
training:
  epochs: 3
"""


# --- the hierarchy -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (ssmconf.SchemaError, (ssmconf.SsmconfError,)),
        (ssmconf.UnknownKeyError, (ssmconf.SsmconfError, KeyError, LookupError)),
        (ssmconf.NotFoundError, (ssmconf.SsmconfError, LookupError)),
        (ssmconf.ValidationError, (ssmconf.SsmconfError,)),
        (ssmconf.StoreError, (ssmconf.SsmconfError,)),
    ],
)
def test_hierarchy(cls, bases):
    for base in (*bases, Exception):
        assert issubclass(cls, base), f"{cls.__name__} is a {base.__name__}"
    assert issubclass(ssmconf.SsmconfError, Exception)
    assert not issubclass(ssmconf.NotFoundError, KeyError), "a missing value is not a missing key"
    assert cls.__module__ == "ssmconf.exceptions"


# --- SchemaError ---------------------------------------------------------------------


def test_schema_error_names_file_line_column_and_suggests_the_field(schema, store):
    path = schema(
        """
        models:
          default_basic:
            ssm_parm: /it/{stage}/models/default_basic
            default: GPT_4O
        """,
        name="models.yml",
    )
    with pytest.raises(ssmconf.SchemaError) as e:
        ssmconf.Resolver(path, vars={"stage": "dev"}, store=store)
    text = str(e.value)
    assert f"{path}:3:5" in text, text
    assert "models.default_basic" in text, text
    assert "did you mean `ssm_param`" in text, text
    assert isinstance(e.value, ssmconf.SsmconfError)
    assert (e.value.line, e.value.column, e.value.key) == (3, 5, "models.default_basic")
    assert e.value.file == str(path)


@pytest.mark.parametrize(
    ("yaml", "needle"),
    [
        ("m:\n  ssm_param: /it/{stage}/m\n  default: X\n  allowed: [A, B]\n", "allowed"),
        ("m:\n  ssm_param: /it/{stage}/m\n  type: int\n  default: abc\n", "`m`"),
        ("m:\n  ssm_param: /it/{stage}/m\n  type: integer\n", "int"),
        ("m:\n  ssm_param: /aws-things/{stage}/m\n", "aws"),
        ("m:\n  ssm_param: /it/{stage}/m\nm:\n  ssm_param: /it/{stage}/n\n", "`m`"),
        ("m:\n  ssm_param: /it/{stage}/m\n  ttl: soon\n", "ttl"),
    ],
    ids=["default-not-allowed", "default-wrong-type", "unknown-type", "reserved-prefix", "duplicate-key", "bad-ttl"],
)
def test_schema_errors(schema, store, yaml, needle):
    path = schema(yaml)
    with pytest.raises(ssmconf.SchemaError) as e:
        ssmconf.Resolver(path, vars={"stage": "dev"}, store=store)
    text = str(e.value)
    assert str(path) in text and needle in text, text
    assert isinstance(e.value.line, int) and e.value.line >= 1


def test_an_unfilled_placeholder_is_a_schema_error(schema, store):
    path = schema("m:\n  ssm_param: /it/{stage}/{region}/m\n")
    with pytest.raises(ssmconf.SchemaError, match="region") as e:
        ssmconf.Resolver(path, vars={"stage": "dev"}, store=store)
    assert str(path) in str(e.value)


def test_a_dict_schema_error_is_a_schema_error(store):
    with pytest.raises(ssmconf.SchemaError, match="did you mean `default`"):
        ssmconf.Resolver({"m": {"ssm_param": "/it/x/m", "defualt": 1}}, store=store)


def test_a_schema_path_that_does_not_exist(tmp_path, store):
    with pytest.raises(ssmconf.SchemaError):
        ssmconf.Resolver(tmp_path / "missing.yml", store=store)


def test_a_schema_of_the_wrong_type_is_a_type_error(store):
    with pytest.raises((TypeError, ValueError)):
        ssmconf.Resolver(42, store=store)  # type: ignore[arg-type]


# --- UnknownKeyError -------------------------------------------------------------------


def test_unknown_key_is_a_key_error_with_a_plain_message(make_resolver):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.UnknownKeyError) as e:
        r.get("models.defualt_basic")
    err = e.value
    assert isinstance(err, KeyError) and isinstance(err, ssmconf.SsmconfError)
    text = str(err)
    assert text == "unknown key `models.defualt_basic`; did you mean `models.default_basic`?", text
    assert not text.startswith(("'", '"')), "str() is not wrapped in quotes as KeyError's is"
    assert (err.key, err.suggestion) == ("models.defualt_basic", "models.default_basic")


@pytest.mark.parametrize("method", ["get", "require", "explain", "invalidate", "history", "ssm_name", "__getitem__"])
def test_every_method_refuses_an_unknown_key(make_resolver, method):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.UnknownKeyError, match="did you mean `ec2.instance_id`"):
        getattr(r, method)("ec2.instance_di")
    with pytest.raises(KeyError):
        getattr(r, method)("zzzzzz")


def test_put_of_an_unknown_key(make_resolver):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.UnknownKeyError):
        r.put("models.defualt_basic", "GPT_4O")


def test_an_unknown_key_without_a_near_key_has_no_suggestion(make_resolver):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.UnknownKeyError) as e:
        r.get("zzzzzzzzzzzzzz")
    assert str(e.value) == "unknown key `zzzzzzzzzzzzzz`"
    assert e.value.suggestion is None


# --- NotFoundError ------------------------------------------------------------------


def test_not_found_names_the_key_the_ssm_name_and_the_steps(make_resolver, stage):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.NotFoundError) as e:
        r.require("ec2.instance_id")
    err = e.value
    assert isinstance(err, LookupError) and isinstance(err, ssmconf.SsmconfError)
    text = str(err)
    name = f"/it/{stage}/ec2/instance-id"
    assert "`ec2.instance_id`" in text and name in text, text
    assert "does not exist" in text, text
    assert (err.key, err.ssm_param) == ("ec2.instance_id", name)
    assert isinstance(err.steps, list) and err.steps
    assert all(isinstance(s, tuple) and len(s) == 2 for s in err.steps)
    found = dict(err.steps)
    assert "does not exist" in (found.get("ssm") or found.get("cache") or ""), err.steps
    assert "default" in found and "caller" in found, err.steps
    assert r.get("ec2.instance_id") is None, "get answers None where require raises"


# --- ValidationError --------------------------------------------------------------------


def test_put_of_a_value_not_allowed_writes_nothing(make_resolver, peek, stage):
    r = make_resolver(MODELS)
    name = f"/it/{stage}/models/default_basic"
    with pytest.raises(ssmconf.ValidationError) as e:
        r.put("models.default_basic", "NOT_A_MODEL")
    text = str(e.value)
    assert "models.default_basic" in text and "CLAUDE_OPUS_4_5" in text, "the error lists what is allowed"
    assert e.value.key == "models.default_basic"
    assert isinstance(e.value, ssmconf.SsmconfError)
    assert peek(name) is None, "a refused value is not written"
    assert r.stats()["ssm_calls"] == 0, "validation happens before any request"

    r.put("models.default_basic", "GPT_4O")
    with pytest.raises(ssmconf.ValidationError):
        r.put("models.default_basic", "NOT_A_MODEL")
    assert peek(name)["Value"] == "GPT_4O"
    assert peek(name)["Version"] == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("models.retries", "three"),
        ("models.retries", 2.5),
        ("models.retries", ["1"]),
        ("models.default_basic", {"model": "GPT_4O"}),
        ("models.fallbacks", ["GPT_4O", "A,B"]),
        ("models.fallbacks", []),
        ("models.default_basic", ""),
        ("training.epochs", 4),
    ],
    ids=["int-from-word", "int-from-float", "int-from-list", "string-from-dict", "list-with-comma", "empty-list", "empty", "literal"],
)
def test_put_of_a_value_of_the_wrong_type(make_resolver, peek, stage, key, value):
    r = make_resolver(MODELS)
    with pytest.raises(ssmconf.ValidationError) as e:
        r.put(key, value)
    assert key in str(e.value)
    if key != "training.epochs":
        assert peek(r.ssm_name(key)) is None


def test_put_of_a_value_python_cannot_encode(make_resolver):
    r = make_resolver(MODELS)
    with pytest.raises((TypeError, ssmconf.ValidationError)):
        r.put("models.default_basic", object())


def test_put_to_a_version_selector_is_refused(make_resolver, seed, stage):
    r = make_resolver("pinned:\n  ssm_param: /it/{stage}/model:1\n")
    seed(f"/it/{stage}/model", "FIRST")
    assert r.get("pinned") == "FIRST"
    with pytest.raises(ssmconf.ValidationError, match="read-only"):
        r.put("pinned", "X")


def test_a_value_in_ssm_that_does_not_decode_falls_back(make_resolver, seed, stage, ssmconf_logs):
    r = make_resolver(MODELS)
    seed(f"/it/{stage}/models/retries", "lots")
    assert r.get("models.retries") == 3, "the schema default answers for a value that does not decode"
    why = r.explain("models.retries")
    assert why.source == "default"
    assert why.error is not None and "lots" in why.error
    assert any(m.startswith("Using fallback value for models.retries (default): ") for m in messages(ssmconf_logs))


# --- StoreError ----------------------------------------------------------------------------


def test_put_against_an_unreachable_store_is_a_store_error(schema):
    dead = ssmconf.SsmStore(region="us-east-1", endpoint_url=f"http://127.0.0.1:{free_port()}")
    r = ssmconf.Resolver(schema(MODELS), vars={"stage": "dead"}, store=dead)
    with pytest.raises(ssmconf.StoreError) as e:
        r.put("models.default_basic", "GPT_4O")
    err = e.value
    assert isinstance(err, ssmconf.SsmconfError)
    assert "models.default_basic" in str(err), str(err)
    assert err.kind == "network", err.kind
    assert err.transient is True

    with pytest.raises(ssmconf.StoreError):
        r.history("models.default_basic")
    with pytest.raises(ssmconf.StoreError):
        r.init()
    with pytest.raises(ssmconf.StoreError):
        r.check()

    # Reads do not raise: the chain falls back.
    assert r.get("models.default_basic") == "CLAUDE_3_5_SONNET_V2"
    why = r.explain("models.default_basic")
    assert why.source == "default"
    assert why.error is not None and why.error.startswith("network"), why.error


def test_memory_store_failure_is_a_throttled_store_error_on_write(schema):
    mem = ssmconf.MemoryStore()
    r = ssmconf.Resolver(schema(MODELS), vars={"stage": "mem"}, store=mem)
    mem.fail("maintenance window")
    with pytest.raises(ssmconf.StoreError, match="maintenance window") as e:
        r.put("models.default_basic", "GPT_4O")
    assert (e.value.kind, e.value.transient) == ("throttled", True)
    mem.fail(None)
    assert r.put("models.default_basic", "GPT_4O") == 1


# --- secure values -------------------------------------------------------------------------

SECRET = "hf_SECRET_value_42"

SECURE = """
secrets:
  hf_token:
    ssm_param: /it/{stage}/secrets/hf-token
    secure: true
    description: HF token
  pin:
    ssm_param: /it/{stage}/secrets/pin
    secure: true
    type: int
  tier:
    ssm_param: /it/{stage}/secrets/tier
    secure: true
    allowed: [gold, silver]
"""


def test_secure_values_are_returned_and_shown_nowhere(make_resolver, seed, stage, ssmconf_logs):
    seed(f"/it/{stage}/secrets/hf-token", SECRET, type="SecureString")
    seed(f"/it/{stage}/secrets/pin", f"{SECRET}_pin", type="SecureString")
    seed(f"/it/{stage}/secrets/tier", f"{SECRET}_tier", type="SecureString")
    r = make_resolver(SECURE)
    shown: list[str] = []

    assert r.get("secrets.hf_token") == SECRET
    assert r.require("secrets.hf_token") == SECRET
    assert r["secrets.hf_token"] == SECRET
    assert r.extract()["secrets"]["hf_token"] == SECRET

    why = r.explain("secrets.hf_token")
    assert (why.value, why.source, why.secure, why.version) == ("***", "ssm", True, 1)
    shown += [repr(why), str(why), repr(why.steps), str(why.error)]

    # A secure value that does not decode, or is not allowed: the failure names the key, never the value.
    for key in ("secrets.pin", "secrets.tier"):
        assert r.get(key) is None
        bad = r.explain(key)
        assert (bad.source, bad.value) == ("none", None)
        assert bad.error is not None and bad.error.startswith("invalid value"), bad.error
        shown += [repr(bad), str(bad.error), repr(bad.steps)]
        with pytest.raises(ssmconf.NotFoundError) as e:
            r.require(key)
        shown += [str(e.value), repr(e.value), repr(getattr(e.value, "steps", ""))]
    report = r.check()
    assert {p.key for p in report.problems} == {"secrets.pin", "secrets.tier"}
    shown += [repr(report)] + [p.message for p in report.problems] + [repr(p) for p in report.problems]

    # Writes that are refused.
    for key, value in [("secrets.pin", f"{SECRET}_x"), ("secrets.tier", f"{SECRET}_y")]:
        with pytest.raises(ssmconf.ValidationError) as v:
            r.put(key, value)
        shown += [str(v.value), repr(v.value)]

    # Writes and history.
    assert r.put("secrets.hf_token", f"{SECRET}_v2") == 2
    assert r.get("secrets.hf_token") == f"{SECRET}_v2"
    history = r.history("secrets.hf_token")
    assert [(h.version, h.value) for h in history] == [(2, "***"), (1, "***")]
    shown += [repr(h) for h in history] + [str(h) for h in history]
    plan = r.init(dry_run=True)
    shown += [repr(plan)] + [repr(i) for i in plan.created + plan.skipped + plan.manual] + [str(i.value) for i in plan.skipped]

    shown += messages(ssmconf_logs) + [ssmconf_logs.text]
    shown += [str(rec.args) for rec in ssmconf_logs.records]
    leaks = [s for s in shown if "SECRET" in s]
    assert leaks == [], "a secure value leaked"
    assert len(messages(ssmconf_logs)) > 0, "the logger was listening"
