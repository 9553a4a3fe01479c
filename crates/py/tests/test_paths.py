"""Path entries (``ssm_path``) from Python, against a real SSM-compatible server: the mapping as a dict."""

from __future__ import annotations

import pytest

import ssmconf

FLAGS = """
flags:
  ssm_path: /it/{stage}/flags/
  type: bool
  default: {beta: {search: false}}
"""


def test_get_require_explain_and_extract_give_the_mapping(make_resolver, seed, stage):
    for i in range(25):
        seed(f"/it/{stage}/flags/g{i % 2}/f{i}", "true" if i % 3 else "false")
    seed(f"/it/{stage}/flags/g0", "true")  # a value and a prefix: under the key ""
    r = make_resolver(FLAGS)
    flags = r.require("flags")
    assert isinstance(flags, dict)
    assert flags["g1"]["f1"] is True and flags["g0"]["f0"] is False
    assert flags["g0"][""] is True
    assert sum(len(level) for level in flags.values()) == 26
    assert r.get("flags") == flags
    flags["mine"] = 1  # each call gives its own dict: changing one changes no other reader's
    assert "mine" not in r["flags"]
    del flags["mine"]
    calls = r.stats()["ssm_calls"]
    why = r.explain("flags")
    assert (why.source, why.parameters, why.version) == ("ssm", 26, None)
    assert r.extract() == {"flags": flags}
    after = r.stats()["ssm_calls"]
    assert after == calls, "one cached unit"


def test_an_empty_path_answers_the_default_and_put_refuses(make_resolver):
    r = make_resolver(FLAGS)
    why = r.explain("flags")
    assert (why.source, why.value, why.parameters) == ("default", {"beta": {"search": False}}, 1)
    with pytest.raises(ssmconf.ValidationError, match="a path entry"):
        r.put("flags", {"beta": {"search": True}})
