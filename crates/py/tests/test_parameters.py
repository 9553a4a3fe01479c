"""``ssmconf.parameters``: Powertools' parameters interface over the core, against moto.

SPEC.md "Names outside the schema". The module-level functions use one default instance per
process, on an ``SsmStore`` from the environment: each test points ``AWS_ENDPOINT_URL_SSM`` at the
test server and resets that instance. Request counts come from the instance's ``stats()`` (every
request to the store goes through the core's counter).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import ssmconf
from ssmconf import parameters
from ssmconf._ssmconf import _default_parameters, _reset_default_parameters
from ssmconf.parameters import exceptions
from test_fork import in_child

SECRET = "hunter2-very-secret"

pytestmark = pytest.mark.filterwarnings(
    r"ignore:This process .* is multi-threaded, use of fork\(\) may lead to deadlocks:DeprecationWarning"
)


def within(seconds: float, body: Callable[[], Any]) -> Any:
    """Runs ``body`` in a thread and fails the test when it has not finished within ``seconds``."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["ok"] = body()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"not finished within {seconds} s")
    if "error" in out:
        raise out["error"]
    return out.get("ok")


@pytest.fixture
def pt(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The module, its default instance on the test server, the Powertools variables unset."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_endpoint)
    monkeypatch.delenv("POWERTOOLS_PARAMETERS_MAX_AGE", raising=False)
    monkeypatch.delenv("POWERTOOLS_PARAMETERS_SSM_DECRYPT", raising=False)
    _reset_default_parameters()
    parameters.clear_caches()
    yield parameters
    _reset_default_parameters()
    parameters.clear_caches()


def calls() -> int:
    return int(_default_parameters().stats()["ssm_calls"])


@pytest.fixture
def base(stage: str) -> str:
    return f"/it/{stage}"


def test_get_parameter_is_cached_and_force_fetch_fetches(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/url", "https://one")
    assert pt.get_parameter(f"{base}/url") == "https://one"
    seed(f"{base}/url", "https://two")
    assert pt.get_parameter(f"{base}/url") == "https://one"
    assert calls() == 1
    # force_fetch fetches (older Powertools answered the cached value for a path).
    assert pt.get_parameter(f"{base}/url", force_fetch=True) == "https://two"
    assert pt.get_parameter(f"{base}/url") == "https://two"
    assert calls() == 2
    assert pt.get_parameter(f"{base}/url", max_age=0) == "https://two"
    assert calls() == 3


def test_clear_caches_fetches_again(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/a", "1")
    pt.get_parameter(f"{base}/a")
    pt.clear_caches()
    pt.get_parameter(f"{base}/a")
    assert calls() == 2


def test_missing_and_invalid_names_raise_get_parameter_error(pt: Any, base: str) -> None:
    with pytest.raises(pt.GetParameterError, match="not found"):
        pt.get_parameter(f"{base}/missing")
    # Not found is cached for the max age, like a value.
    with pytest.raises(exceptions.GetParameterError):
        pt.get_parameter(f"{base}/missing")
    assert calls() == 1
    with pytest.raises(pt.exceptions.GetParameterError, match="invalid parameter name") as info:
        pt.get_parameter("/a b")
    assert isinstance(info.value, ssmconf.SsmconfError)
    assert issubclass(pt.TransformParameterError, ssmconf.SsmconfError)
    assert issubclass(pt.exceptions.SetParameterError, ssmconf.SsmconfError)


def test_transforms(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/config", '{"a": [1, 2], "b": null}')
    seed(f"{base}/blob", base64.b64encode(b"\x00\x01bytes").decode())
    seed(f"{base}/auto.json", '{"x": 1}')
    seed(f"{base}/auto.binary", base64.b64encode(b"raw").decode())
    seed(f"{base}/plain", "text")
    assert pt.get_parameter(f"{base}/config", transform="json") == {"a": [1, 2], "b": None}
    assert pt.get_parameter(f"{base}/blob", transform="binary") == b"\x00\x01bytes"
    assert pt.get_parameter(f"{base}/auto.json", transform="auto") == {"x": 1}
    assert pt.get_parameter(f"{base}/auto.binary", transform="auto") == b"raw"
    assert pt.get_parameter(f"{base}/plain", transform="auto") == "text"
    # One fetch per name, whatever the transforms asked of it.
    assert pt.get_parameter(f"{base}/config") == '{"a": [1, 2], "b": null}'
    assert calls() == 5
    with pytest.raises(pt.TransformParameterError, match="Unable to transform value using 'json' transform"):
        pt.get_parameter(f"{base}/plain", transform="json")
    with pytest.raises(pt.TransformParameterError):
        pt.get_parameter(f"{base}/plain", transform="xml")


def test_get_parameters_by_path(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/flags/beta", "on")
    seed(f"{base}/flags/deep/x.json", '{"n": 1}')
    seed(f"{base}/flags/bad.json", "{")
    seed(f"{base}/other", "no")
    assert pt.get_parameters(f"{base}/flags") == {"beta": "on", "deep/x.json": '{"n": 1}', "bad.json": "{"}
    assert pt.get_parameters(f"{base}/flags", recursive=False) == {"beta": "on", "bad.json": "{"}
    assert pt.get_parameters(f"{base}/flags/", transform="auto") == {"beta": "on", "deep/x.json": {"n": 1}, "bad.json": None}
    with pytest.raises(pt.TransformParameterError):
        pt.get_parameters(f"{base}/flags", transform="auto", raise_on_transform_error=True)
    before = calls()
    pt.get_parameters(f"{base}/flags")
    assert calls() == before


def test_a_path_of_many_pages_is_read_whole(pt: Any, boto_ssm: Any, base: str) -> None:
    for i in range(35):
        boto_ssm.put_parameter(Name=f"{base}/many/{i % 4}/p{i}", Value=str(i), Type="String")
    found = pt.get_parameters(f"{base}/many")
    assert found == {f"{i % 4}/p{i}": str(i) for i in range(35)}
    # 35 under a path, 10 a page: 4 pages (moto may add an empty one).
    assert calls() in (4, 5)


def test_get_parameters_by_name_returns_every_batch(pt: Any, boto_ssm: Any, base: str) -> None:
    names = [f"{base}/n/{i}" for i in range(25)]
    for i, n in enumerate(names):
        boto_ssm.put_parameter(Name=n, Value=str(i), Type="String")
    got = pt.get_parameters_by_name({n: {} for n in names})
    # Powertools answers only the last batch of 10 here.
    assert got == {n: str(i) for i, n in enumerate(names)}
    assert calls() == 3
    assert pt.get_parameter(names[7]) == "7"
    assert calls() == 3


def test_get_parameters_by_name_options_and_errors(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/cfg", '{"on": true}')
    seed(f"{base}/s", SECRET, type="SecureString")
    asked = {f"{base}/cfg": {"transform": "json", "max_age": 60}, f"{base}/s": {"decrypt": True}, f"{base}/none": None}
    with pytest.raises(pt.GetParameterError, match="Failed to fetch parameters"):
        pt.get_parameters_by_name(asked)
    got = pt.get_parameters_by_name(asked, raise_on_error=False)
    assert got == {"_errors": [f"{base}/none"], f"{base}/cfg": {"on": True}, f"{base}/s": SECRET}
    with pytest.raises(pt.GetParameterError, match="_errors"):
        pt.get_parameters_by_name({"_errors": {}}, raise_on_error=False)


def test_set_parameter(pt: Any, base: str, boto_ssm: Any) -> None:
    name = f"{base}/written"
    assert pt.set_parameter(name=name, value="one") == {"Version": 1, "Tier": "Standard"}
    assert pt.get_parameter(name) == "one"
    with pytest.raises(pt.exceptions.SetParameterError, match="Error setting parameter"):
        pt.set_parameter(name=name, value="two")
    assert pt.set_parameter(name=name, value="two", overwrite=True, description="d")["Version"] == 2
    # The write drops the cached value (Powertools would answer "one" until it expires).
    assert pt.get_parameter(name) == "two"
    assert boto_ssm.get_parameter(Name=name)["Parameter"]["Value"] == "two"
    pt.set_parameter(name=f"{base}/secret", value=SECRET, parameter_type="SecureString")
    assert pt.get_parameter(f"{base}/secret", decrypt=True) == SECRET


def test_environment_variables(pt: Any, seed: Callable[..., int], base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(f"{base}/s", SECRET, type="SecureString")
    # Decryption is off by default, as in Powertools: SSM answers the ciphertext.
    assert pt.get_parameter(f"{base}/s") != SECRET
    assert pt.get_parameter(f"{base}/s", decrypt=True) == SECRET
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_SSM_DECRYPT", "true")
    pt.clear_caches()
    assert pt.get_parameter(f"{base}/s") == SECRET
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_MAX_AGE", "0")
    pt.clear_caches()
    before = calls()
    pt.get_parameter(f"{base}/s")
    pt.get_parameter(f"{base}/s")
    assert calls() == before + 2
    monkeypatch.setenv("POWERTOOLS_PARAMETERS_MAX_AGE", "soon")
    pt.clear_caches()
    with pytest.raises(ValueError, match="POWERTOOLS_PARAMETERS_MAX_AGE"):
        pt.get_parameter(f"{base}/s")


def test_32_threads_on_an_expired_name_send_one_request(pt: Any, seed: Callable[..., int], base: str) -> None:
    name = f"{base}/hot"
    seed(name, "v")
    pt.get_parameter(name, max_age=1)
    time.sleep(1.1)  # expire it: the readers below ask for at most 1 s
    barrier = threading.Barrier(32)
    before = calls()

    def read() -> str:
        barrier.wait()
        return str(pt.get_parameter(name, max_age=1))

    threads_out: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        value = read()
        with lock:
            threads_out.append(value)

    def run() -> None:
        threads = [threading.Thread(target=worker) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    within(60, run)
    assert threads_out == ["v"] * 32
    assert calls() == before + 1


def test_stale_on_error_with_moto_stopped(
    own_moto: Callable[[], Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with own_moto() as (endpoint, proc):
        import boto3

        boto = boto3.client("ssm", region_name="us-east-1", endpoint_url=endpoint)
        boto.put_parameter(Name="/it/stale/plain", Value="last", Type="String")
        boto.put_parameter(Name="/it/stale/secret", Value=SECRET, Type="SecureString")
        provider = parameters.SSMProvider(store=ssmconf.SsmStore(region="us-east-1", endpoint_url=endpoint))
        assert provider.get("/it/stale/plain") == "last"
        assert provider.get("/it/stale/secret", decrypt=True) == SECRET
        proc.terminate()
        proc.wait(timeout=10)
        caplog.set_level(logging.WARNING, logger="ssmconf")
        assert within(60, lambda: provider.get("/it/stale/plain", max_age=0)) == "last"
        assert within(60, lambda: provider.get("/it/stale/secret", max_age=0, decrypt=True)) == SECRET
        stats = provider._parameters.stats()
        assert stats["stale_served"] == 2
        warnings = [r.getMessage() for r in caplog.records if r.name == "ssmconf" and r.levelno == logging.WARNING]
        assert any("stale" in w and "/it/stale/plain" in w for w in warnings), warnings
        assert not any(SECRET in w for w in warnings)
        # Never read: nothing to serve, an error naming the name.
        with pytest.raises(parameters.GetParameterError, match="/it/stale/never") as info:
            within(60, lambda: provider.get("/it/stale/never"))
        assert SECRET not in str(info.value)


def test_the_default_instance_works_in_a_fork_child(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/forked", "parent")
    seed(f"{base}/later", "child")
    assert pt.get_parameter(f"{base}/forked") == "parent"

    def child() -> list[str]:
        # The inherited cache is gone with the parent's instance; the child makes its own.
        return [parameters.get_parameter(f"{base}/forked"), parameters.get_parameter(f"{base}/later")]

    assert in_child(child, deadline=30) == ["parent", "child"]
    assert pt.get_parameter(f"{base}/forked") == "parent"


def test_ssm_provider(moto_endpoint: str, seed: Callable[..., int], base: str, boto_ssm: Any) -> None:
    provider = parameters.SSMProvider(boto3_client=boto_ssm)
    seed(f"{base}/p/a", "1")
    seed(f"{base}/p/b/c", "2")
    assert provider.get(f"{base}/p/a") == "1"
    # SSMProvider.get_multiple is not recursive by default (get_parameters is).
    assert provider.get_multiple(f"{base}/p") == {"a": "1"}
    assert provider.get_multiple(f"{base}/p", recursive=True) == {"a": "1", "b/c": "2"}
    assert provider.get_parameters_by_name({f"{base}/p/a": {}}) == {f"{base}/p/a": "1"}
    assert provider.set(f"{base}/p/new", "v")["Version"] == 1
    assert provider.get(f"{base}/p/new") == "v"


def test_secure_values_stay_out_of_repr_and_errors(pt: Any, seed: Callable[..., int], base: str) -> None:
    seed(f"{base}/s", SECRET, type="SecureString")
    with pytest.raises(pt.TransformParameterError) as info:
        pt.get_parameter(f"{base}/s", decrypt=True, transform="json")
    assert SECRET not in str(info.value)
    assert SECRET not in repr(_default_parameters())
    assert json.dumps(_default_parameters().stats()).find(SECRET) == -1


def test_decrypt_recursive_and_force_fetch_are_honoured_on_cached_values(
    pt: Any, seed: Callable[..., int], base: str
) -> None:
    # Powertools 3.37 keys its cache by name and transform only: the second read of each pair
    # below answers its first one's cached value there.
    seed(f"{base}/k/s", SECRET, type="SecureString")
    seed(f"{base}/k/deep/x", "1")
    assert pt.get_parameter(f"{base}/k/s") != SECRET
    assert pt.get_parameter(f"{base}/k/s", decrypt=True) == SECRET
    assert set(pt.get_parameters(f"{base}/k")) == {"s", "deep/x"}
    assert set(pt.get_parameters(f"{base}/k", recursive=False)) == {"s"}
    seed(f"{base}/k/new", "2")
    assert "new" in pt.get_parameters(f"{base}/k", force_fetch=True)


def test_get_parameter_names_an_unknown_keyword() -> None:
    # The module's get_parameter takes SPEC's arguments only (no
    # **sdk_options: GetParameter has nothing to pass on, and a **kwargs
    # function is called through pyo3's slower tuple convention).
    with pytest.raises(TypeError, match="WithDecryption"):
        parameters.get_parameter("/app/dev/x", WithDecryption=True)  # type: ignore[call-arg]
