"""ssmconf.parameters beside Powertools' parameters utility: the same calls on one moto, results compared.

Both libraries read the test's moto_server: Powertools through boto3
(``AWS_ENDPOINT_URL_SSM``, its only way to be pointed elsewhere without
code), ssmconf through the same variable. Every test clears both caches
first and uses names under its own stage. ``same(call)`` runs ``call`` on
each library and compares the outcome: the return value, or the class name
of the exception raised.

Where Powertools has (or had) a bug, the test asserts ssmconf's correct
behaviour and says what Powertools does:

- ``get_parameters_by_name`` with more than 10 names returned only the last
  batch of 10 (a shadowed variable in ``_get_parameters_by_name_in_chunks``,
  Powertools issue #7832; still in 3.2.x). The Powertools installed here may
  have the fix: the test accepts either from Powertools, and all names from ssmconf.
- ``get_parameters(..., force_fetch=True)`` returned the cached, stale
  mapping (``force_fetch`` and ``raise_on_transform_error`` swapped in the
  call to the base class, Powertools issue #5482, fixed in 3.3.0 by #5515).
- Powertools' cache key has no ``decrypt``: ``get_parameter(name)`` then
  ``get_parameter(name, decrypt=True)`` answers the still-encrypted value
  from its cache until ``max_age`` runs out. ssmconf answers the decrypted one.
  Nor has its path key ``recursive``: ``get_parameters(path)`` then
  ``get_parameters(path, recursive=False)`` answers the recursive mapping.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from importlib import metadata
from typing import Any, Callable

import pytest

SecureCipher = "kms:alias/aws/ssm:"  # how moto answers a SecureString read without decryption


def powertools_version() -> tuple[int, ...]:
    return tuple(int(p) for p in metadata.version("aws-lambda-powertools").split(".")[:3] if p.isdigit())


@pytest.fixture
def libs(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """``{"powertools": module, "ssmconf": module}``, both on the test's moto, caches cleared."""
    from aws_lambda_powertools.utilities import parameters as powertools

    from ssmconf import parameters as ours

    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_endpoint)
    for name in ("POWERTOOLS_PARAMETERS_MAX_AGE", "POWERTOOLS_PARAMETERS_SSM_DECRYPT"):
        monkeypatch.delenv(name, raising=False)
    powertools.clear_caches()
    ours.clear_caches()
    yield {"powertools": powertools, "ssmconf": ours}
    powertools.clear_caches()
    ours.clear_caches()


def outcome(call: Callable[[Any], Any], lib: Any) -> Any:
    try:
        return ("value", call(lib))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome
        return ("raise", type(e).__name__)


def same(libs: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    """Runs ``call(lib)`` with Powertools, then with ssmconf; both outcomes equal; returns it."""
    theirs = outcome(call, libs["powertools"])
    ours = outcome(call, libs["ssmconf"])
    assert ours == theirs
    return ours


def clear(libs: dict[str, Any]) -> None:
    for lib in libs.values():
        lib.clear_caches()


# --------------------------------------------------------------------------
# get_parameter


def test_plain_value(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    seed(f"/{stage}/plain", "hello")
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/plain")) == ("value", "hello")


def test_secure_value_with_and_without_decrypt(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    name = f"/{stage}/secret"
    seed(name, "s3cr3t", type="SecureString")
    assert same(libs, lambda p: p.get_parameter(name, decrypt=True)) == ("value", "s3cr3t")
    clear(libs)
    assert same(libs, lambda p: p.get_parameter(name, decrypt=False)) == ("value", SecureCipher + "s3cr3t")
    clear(libs)
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", SecureCipher + "s3cr3t")  # decrypt defaults off


def test_decrypt_after_a_cached_encrypted_read(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    """Powertools bug: its cache key has no decrypt, so decrypt=True answers the cached ciphertext."""
    name = f"/{stage}/secret"
    seed(name, "s3cr3t", type="SecureString")
    pt, ours = libs["powertools"], libs["ssmconf"]
    assert pt.get_parameter(name) == ours.get_parameter(name) == SecureCipher + "s3cr3t"
    assert ours.get_parameter(name, decrypt=True) == "s3cr3t"
    assert pt.get_parameter(name, decrypt=True) in ("s3cr3t", SecureCipher + "s3cr3t")  # 3.37.0: the ciphertext


def test_string_list_is_the_comma_separated_string(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    seed(f"/{stage}/list", "a,b,c", type="StringList")
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/list")) == ("value", "a,b,c")


def test_transforms(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    doc = {"flags": {"beta": True}, "ratio": 0.5, "tags": ["a", "b"]}
    raw = b"\x00\x01binary\xff"
    seed(f"/{stage}/doc", json.dumps(doc))
    seed(f"/{stage}/blob", base64.b64encode(raw).decode())
    seed(f"/{stage}/doc.json", json.dumps(doc))
    seed(f"/{stage}/blob.binary", base64.b64encode(raw).decode())
    seed(f"/{stage}/plain", "not transformed")
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/doc", transform="json")) == ("value", doc)
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/blob", transform="binary")) == ("value", raw)
    # auto: by the name's suffix; no known suffix, the value as it is.
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/doc.json", transform="auto")) == ("value", doc)
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/blob.binary", transform="auto")) == ("value", raw)
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/plain", transform="auto")) == ("value", "not transformed")


def test_transform_errors_of_one_name(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    seed(f"/{stage}/bad", "{not json")
    seed(f"/{stage}/bad64", "%%% not base64 %%%")
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/bad", transform="json")) == ("raise", "TransformParameterError")
    assert same(libs, lambda p: p.get_parameter(f"/{stage}/bad64", transform="binary")) == (
        "raise",
        "TransformParameterError",
    )
    ours = libs["ssmconf"]
    with pytest.raises(ours.exceptions.TransformParameterError):
        ours.get_parameter(f"/{stage}/bad", transform="json")
    with pytest.raises(ours.TransformParameterError):
        ours.get_parameter(f"/{stage}/bad", transform="json")


def test_missing_name(libs: dict[str, Any], stage: str) -> None:
    name = f"/{stage}/does-not-exist"
    assert same(libs, lambda p: p.get_parameter(name)) == ("raise", "GetParameterError")
    ours = libs["ssmconf"]
    # What users catch: parameters.exceptions.GetParameterError, and the message names the parameter.
    with pytest.raises(ours.exceptions.GetParameterError) as caught:
        ours.get_parameter(name)
    assert name in str(caught.value)
    assert ours.exceptions.GetParameterError is ours.GetParameterError
    import ssmconf

    assert isinstance(caught.value, ssmconf.SsmconfError)


def test_max_age_zero_reads_again(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    name = f"/{stage}/v"
    seed(name, "one")
    assert same(libs, lambda p: p.get_parameter(name, max_age=0)) == ("value", "one")
    seed(name, "two")
    assert same(libs, lambda p: p.get_parameter(name, max_age=0)) == ("value", "two")


def test_cached_then_force_fetch(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    name = f"/{stage}/v"
    seed(name, "one")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "one")
    seed(name, "two")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "one")  # cached (300 s by default)
    assert same(libs, lambda p: p.get_parameter(name, force_fetch=True)) == ("value", "two")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "two")  # and the cache has it


def test_clear_caches(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    name = f"/{stage}/v"
    seed(name, "one")
    same(libs, lambda p: p.get_parameter(name))
    seed(name, "two")
    clear(libs)
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "two")


def test_env_max_age(libs: dict[str, Any], seed: Callable[..., int], stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"/{stage}/v"
    seed(name, "one")
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_MAX_AGE", "0")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "one")
    seed(name, "two")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "two")  # not cached: max age 0
    # An explicit max_age wins over the variable.
    assert same(libs, lambda p: p.get_parameter(name, max_age=300)) == ("value", "two")
    seed(name, "three")
    assert same(libs, lambda p: p.get_parameter(name, max_age=300)) == ("value", "two")


def test_env_decrypt(libs: dict[str, Any], seed: Callable[..., int], stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"/{stage}/secret"
    seed(name, "s3cr3t", type="SecureString")
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_SSM_DECRYPT", "true")
    assert same(libs, lambda p: p.get_parameter(name)) == ("value", "s3cr3t")
    clear(libs)
    assert same(libs, lambda p: p.get_parameter(name, decrypt=False)) == ("value", SecureCipher + "s3cr3t")


# --------------------------------------------------------------------------
# get_parameters (a path)


def seed_tree(seed: Callable[..., int], stage: str) -> str:
    root = f"/{stage}/app"
    seed(f"{root}/a", "1")
    seed(f"{root}/b", '{"x": 1}')
    seed(f"{root}/db/host", "db.internal")
    seed(f"{root}/db/pass", "pw", type="SecureString")
    seed(f"{root}/db/deep/er", "deep")
    seed(f"/{stage}/application/not-under", "no")  # a sibling whose name starts like the path
    return root


def test_get_parameters_recursive_and_not(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    root = seed_tree(seed, stage)
    everything = {"a": "1", "b": '{"x": 1}', "db/host": "db.internal", "db/pass": SecureCipher + "pw", "db/deep/er": "deep"}
    assert same(libs, lambda p: p.get_parameters(root)) == ("value", everything)  # recursive by default
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(root, recursive=False)) == ("value", {"a": "1", "b": '{"x": 1}'})
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(root + "/", decrypt=True))[1]["db/pass"] == "pw"  # trailing slash
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(f"{root}/db", recursive=False)) == (
        "value",
        {"host": "db.internal", "pass": SecureCipher + "pw"},
    )
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(f"/{stage}/nothing-here")) == ("value", {})


def test_recursive_and_not_are_two_cache_entries(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    """Powertools bug: its path cache key has no ``recursive``, so the flat listing after the
    recursive one answers the recursive mapping from its cache (3.37.0). ssmconf answers the flat one."""
    root = seed_tree(seed, stage)
    pt, ours = libs["powertools"], libs["ssmconf"]
    assert ours.get_parameters(root) == pt.get_parameters(root)
    flat = {"a": "1", "b": '{"x": 1}'}
    assert ours.get_parameters(root, recursive=False) == flat
    assert pt.get_parameters(root, recursive=False) in (flat, pt.get_parameters(root))  # 3.37.0: the recursive one


def test_get_parameters_transforms(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    root = f"/{stage}/t"
    seed(f"{root}/good", '{"ok": true}')
    seed(f"{root}/bad", "{nope")
    seed(f"{root}/auto.json", "[1, 2]")
    seed(f"{root}/auto.binary", base64.b64encode(b"bin").decode())
    seed(f"{root}/auto-plain", "plain")
    got = same(libs, lambda p: p.get_parameters(root, transform="auto"))
    assert got == ("value", {"good": '{"ok": true}', "bad": "{nope", "auto.json": [1, 2], "auto.binary": b"bin", "auto-plain": "plain"})
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(f"{root}/good", transform="json")) == ("value", {})  # a leaf: nothing under it
    clear(libs)
    seed(f"/{stage}/j/good", '{"ok": true}')
    seed(f"/{stage}/j/bad", "{nope")
    # A value that does not transform is None, unless raise_on_transform_error.
    assert same(libs, lambda p: p.get_parameters(f"/{stage}/j", transform="json")) == (
        "value",
        {"good": {"ok": True}, "bad": None},
    )
    clear(libs)
    assert same(libs, lambda p: p.get_parameters(f"/{stage}/j", transform="json", raise_on_transform_error=True)) == (
        "raise",
        "TransformParameterError",
    )


def test_get_parameters_cache_and_force_fetch(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    """Powertools < 3.3.0 answered force_fetch=True from its cache (issue #5482); ssmconf reads SSM."""
    root = f"/{stage}/ff"
    seed(f"{root}/v", "one")
    assert same(libs, lambda p: p.get_parameters(root)) == ("value", {"v": "one"})
    seed(f"{root}/v", "two")
    seed(f"{root}/w", "new")
    assert same(libs, lambda p: p.get_parameters(root)) == ("value", {"v": "one"})  # cached
    pt, ours = libs["powertools"], libs["ssmconf"]
    assert ours.get_parameters(root, force_fetch=True) == {"v": "two", "w": "new"}
    forced = pt.get_parameters(root, force_fetch=True)
    if powertools_version() >= (3, 3, 0):
        assert forced == {"v": "two", "w": "new"}
    else:
        assert forced == {"v": "one"}  # the bug


# --------------------------------------------------------------------------
# get_parameters_by_name


def test_by_name_with_per_name_options(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    s = f"/{stage}"
    seed(f"{s}/plain", "p")
    seed(f"{s}/doc", '{"k": [1]}')
    seed(f"{s}/blob", base64.b64encode(b"\x01\x02").decode())
    seed(f"{s}/secret", "pw", type="SecureString")
    seed(f"{s}/other-secret", "pw2", type="SecureString")

    def call(p: Any) -> Any:
        return p.get_parameters_by_name(
            {
                f"{s}/plain": {},
                f"{s}/doc": {"transform": "json"},
                f"{s}/blob": {"transform": "binary", "max_age": 0},
                f"{s}/secret": {"decrypt": True},
                f"{s}/other-secret": {},
            },
            max_age=60,
        )

    assert same(libs, call) == (
        "value",
        {f"{s}/plain": "p", f"{s}/doc": {"k": [1]}, f"{s}/blob": b"\x01\x02", f"{s}/secret": "pw", f"{s}/other-secret": SecureCipher + "pw2"},
    )
    clear(libs)
    # The top-level transform and decrypt apply to names without their own.
    # A per-name transform of None does not undo the top-level one in Powertools ("p" is then read
    # as JSON and fails); whichever it is, both agree.
    same(libs, lambda p: p.get_parameters_by_name({f"{s}/doc": {}, f"{s}/plain": {"transform": None}}, transform="json"))
    clear(libs)
    assert same(libs, lambda p: p.get_parameters_by_name({f"{s}/secret": {}, f"{s}/other-secret": {}}, decrypt=True)) == (
        "value",
        {f"{s}/secret": "pw", f"{s}/other-secret": "pw2"},
    )


def test_by_name_errors(libs: dict[str, Any], seed: Callable[..., int], stage: str) -> None:
    s = f"/{stage}"
    seed(f"{s}/here", "h")
    seed(f"{s}/secret", "pw", type="SecureString")
    names = {f"{s}/here": {}, f"{s}/missing": {}, f"{s}/secret": {"decrypt": True}, f"{s}/missing-secret": {"decrypt": True}}
    assert same(libs, lambda p: p.get_parameters_by_name({k: dict(v) for k, v in names.items()})) == (
        "raise",
        "GetParameterError",
    )  # fresh option dicts for each: Powertools writes its defaults into the ones it is given
    clear(libs)
    # The order of _errors is an artefact of each library's batching (Powertools lists the decrypted
    # names' failures first): compared as a set.
    def graceful(p: Any) -> Any:
        got = p.get_parameters_by_name({k: dict(v) for k, v in names.items()}, raise_on_error=False)
        return {**got, "_errors": sorted(got["_errors"])}

    kind, got = same(libs, graceful)
    assert kind == "value"
    assert {k: v for k, v in got.items() if k != "_errors"} == {f"{s}/here": "h", f"{s}/secret": "pw"}
    assert sorted(got["_errors"]) == sorted([f"{s}/missing", f"{s}/missing-secret"])
    clear(libs)
    # A parameter named _errors cannot be asked for when errors go under that key.
    assert same(libs, lambda p: p.get_parameters_by_name({"_errors": {}}, raise_on_error=False)) == ("raise", "GetParameterError")


@pytest.mark.parametrize("count", [25, 300])
def test_by_name_more_than_ten_names(libs: dict[str, Any], boto_ssm: Any, stage: str, count: int) -> None:
    """Powertools 3.2.x returned only the last batch of 10 (issue #7832); ssmconf returns every name."""
    names = [f"/{stage}/many/p{i:03d}" for i in range(count)]
    for n in names:
        boto_ssm.put_parameter(Name=n, Value=f"v{n[-3:]}", Type="String", Overwrite=True)
    want = {n: f"v{n[-3:]}" for n in names}
    ours = libs["ssmconf"].get_parameters_by_name({n: {} for n in names})
    assert ours == want
    theirs = libs["powertools"].get_parameters_by_name({n: {} for n in names})
    last_batch = dict(list(want.items())[-(count % 10 or 10):])
    assert theirs in (want, last_batch)  # Powertools 3.37.0: want (fixed)
    # Cached afterwards, in both.
    assert libs["ssmconf"].get_parameters_by_name({n: {} for n in names}) == want


# --------------------------------------------------------------------------
# set_parameter


def test_set_parameter(libs: dict[str, Any], peek: Callable[[str], Any], boto_ssm: Any, stage: str) -> None:
    def strip(value: Any) -> Any:
        return {k: v for k, v in value.items() if k != "ResponseMetadata"} if isinstance(value, dict) else value

    for lib in ("powertools", "ssmconf"):
        name = f"/{stage}/set-{lib}"
        p = libs[lib]
        first = strip(p.set_parameter(name=name, value="one"))
        again = outcome(lambda p: p.set_parameter(name=name, value="two"), p)  # exists, no overwrite
        second = strip(p.set_parameter(name=name, value="two", overwrite=True))
        secure = strip(p.set_parameter(name=name + "-s", value="pw", parameter_type="SecureString"))
        got = (first, again, second, secure, peek(name)["Value"], peek(name + "-s")["Value"], peek(name + "-s")["Type"])
        if lib == "powertools":
            theirs = got
        else:
            assert got == theirs
    assert theirs[0] == {"Version": 1, "Tier": "Standard"}
    assert theirs[1] == ("raise", "SetParameterError")
