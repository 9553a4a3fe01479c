"""The migration proof: Powertools' own documented SSM usage, run unchanged but for the import.

Every example of Powertools' parameters page that reads or writes SSM
(quoted in ``powertools_examples.py`` with its source path) runs twice on one
moto_server with the same seeded parameters: once as Powertools wrote it, and
once with only its import lines rewritten (``from aws_lambda_powertools.utilities
import parameters`` becomes ``from ssmconf import parameters``, and
``aws_lambda_powertools.utilities.parameters[.ssm]`` becomes
``ssmconf.parameters[.ssm]`` in the others). The handler's results must be
equal.

A run is a small Lambda lifetime: the module is executed (its cold start),
then the handler is invoked, some seeded values are changed in SSM, and the
handler is invoked again, so the examples that cache, that ``force_fetch`` or
that write show the same behaviour over time, not only the same first value.
Some examples also run in an error variant (a parameter missing, a value that
is not JSON) so the ``except parameters.exceptions...`` clauses that users
write are exercised.

What is compared: return values (``ResponseMetadata`` of boto3 answers
dropped: request ids and dates differ between any two calls), printed lines
(sorted: Powertools' dict order is an artefact of its batching), and raised
exceptions by class name. Error messages are each library's own text: the
``message`` a handler returns from ``str(error)`` is compared as "a non-empty
string", not letter by letter.

Outside SPEC, handled so: the Lambda context is a fake object (the handlers
only receive it); ``requests.get`` of the URL a parameter holds goes to a
small HTTP server on 127.0.0.1 (the examples fetch jsonplaceholder's comments;
nothing leaves the machine); ``LambdaContext`` stays imported from
Powertools (a type hint, not the parameters utility). Examples built on
``parameters.SSMProvider`` run too: ``ssmconf.parameters`` has one. Not
quoted at all: Secrets Manager, AppConfig, DynamoDB and custom providers.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import types
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

import pytest

from powertools_examples import EXAMPLES

DEADLINE = 60.0  # seconds for one handler invocation; a hang fails the test


# --------------------------------------------------------------------------
# The rewrite: import lines only.

_REWRITES = [
    (re.compile(r"^from aws_lambda_powertools\.utilities import parameters$"), "from ssmconf import parameters"),
    (
        re.compile(r"^from aws_lambda_powertools\.utilities\.parameters((?:\.\w+)*) import (.+)$"),
        r"from ssmconf.parameters\1 import \2",
    ),
    # unittest.mock.patch's target names the module the way an import does.
    (re.compile(r'^@patch\("aws_lambda_powertools\.utilities\.parameters\.(\w+)"\)$'), r'@patch("ssmconf.parameters.\1")'),
]


def rewrite(source: str) -> str:
    """The example as a user migrating to ssmconf writes it: only the import lines differ."""
    out = []
    for line in source.splitlines(keepends=True):
        text = line.rstrip("\n")
        for pattern, repl in _REWRITES:
            if pattern.match(text):
                text = pattern.sub(repl, text)
                break
        out.append(text + ("\n" if line.endswith("\n") else ""))
    return "".join(out)


def test_the_rewrite_changes_import_lines_only() -> None:
    for key, source in EXAMPLES.items():
        before, after = source.splitlines(), rewrite(source).splitlines()
        assert len(before) == len(after), key
        changed = [(a, b) for a, b in zip(before, after) if a != b]
        for a, b in changed:
            assert a.startswith(("from ", "import ", "@patch(")), (key, a)
            assert "ssmconf" in b and "aws_lambda_powertools.utilities.parameters" not in b, (key, b)
        assert "aws_lambda_powertools.utilities import parameters" not in rewrite(source), key
        # Only the typing import of Powertools may remain.
        for line in after:
            if "aws_lambda_powertools" in line and not line.lstrip().startswith("#"):
                assert line == "from aws_lambda_powertools.utilities.typing import LambdaContext", (key, line)
        if "aws_lambda_powertools.utilities.parameters" in source or "utilities import parameters" in source:
            assert changed, key


# --------------------------------------------------------------------------
# What the handlers fetch with requests: jsonplaceholder's comments, on loopback.


def _comments(version: int) -> list[dict[str, Any]]:
    return [
        {"postId": 1 + i // 5, "id": i + 1, "name": f"comment {i + 1} v{version}", "body": f"body {i + 1}"}
        for i in range(20)
    ]


class CommentsServer:
    """``/comments/`` and ``/v2/comments/`` (``?postId=N`` filters); anything else is a 404."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                data: Any
                if path in ("/comments/", "/v2/comments/"):
                    data = _comments(2 if path.startswith("/v2") else 1)
                    m = re.fullmatch(r"postId=(\d+)", query)
                    if m:
                        data = [c for c in data if c["postId"] == int(m.group(1))]
                    status = 200
                else:
                    data, status = {"error": "not found"}, 404
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


# --------------------------------------------------------------------------
# The scenario of each example.


@dataclass
class Param:
    value: str
    type: str = "String"


@dataclass
class Scenario:
    """What an example needs: parameters seeded before the run, changes between invocations."""

    seed: dict[str, Param] = field(default_factory=dict)
    update: dict[str, Param] = field(default_factory=dict)  # put between the two invocations
    writes: tuple[str, ...] = ()  # names the example creates (deleted before each run)
    regions: tuple[str, ...] = ("us-east-1",)
    assume_role: Optional[str] = None  # seed as the account of this role (STS on moto)
    invocations: int = 2
    handler: str = "lambda_handler"


URL = "{base}/comments/"
URL2 = "{base}/v2/comments/"
TELEMETRY = '{"enabled": true, "sample_rate": 0.25, "exporters": ["xray", "emf"]}'
ROLE = "arn:aws:iam::account-of-role-to-assume:role/name-of-role"


def _public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def scenarios() -> dict[str, Scenario]:
    ep = "/lambda-powertools/endpoint_comments"
    return {
        "getting_started_single_ssm_parameter": Scenario(seed={ep: Param(URL)}, update={ep: Param(URL2)}),
        "getting_started_single_ssm_parameter[missing]": Scenario(),
        "getting_started_recursive_ssm_parameter": Scenario(
            seed={"/dev/config": Param("dev-config"), "/dev/webhook/config": Param("hook"), "/dev/endpoint_comments": Param(URL)},
            update={"/dev/endpoint_comments": Param(URL2)},
        ),
        "getting_started_recursive_ssm_parameter[missing]": Scenario(
            seed={"/dev/config": Param("dev-config"), "/dev/webhook/config": Param("hook")},
        ),
        "getting_started_parameter_by_name": Scenario(
            seed={
                "/develop/service/commons/telemetry/config": Param(TELEMETRY),
                "/no_cache_param": Param("first"),
                "/develop/service/payment/api/capture/url": Param("https://payments.example/capture"),
            },
            # max_age=0 is read again, the others come from the cache.
            update={"/no_cache_param": Param("second"), "/develop/service/payment/api/capture/url": Param("https://changed")},
            handler="handler",
        ),
        "get_parameter_by_name_error_handling": Scenario(
            seed={"/develop/service/commons/telemetry/config": Param(TELEMETRY)}, handler="handler"
        ),
        "getting_started_set_single_ssm_parameter": Scenario(writes=("/mySuper/Parameter",)),  # 2nd: it exists
        "getting_started_set_single_ssm_parameter[exists]": Scenario(seed={"/mySuper/Parameter": Param("old")}),
        "getting_started_set_ssm_parameter_overwrite": Scenario(writes=("/mySuper/Parameter",)),
        "single_ssm_parameter_with_cache": Scenario(seed={ep: Param(URL)}, update={ep: Param(URL2)}),
        "single_ssm_parameter_with_cache[missing]": Scenario(),
        "recursive_ssm_parameter_with_cache": Scenario(
            seed={ep: Param(URL), "/lambda-powertools/other": Param("x")}, update={ep: Param(URL2)}
        ),
        "single_ssm_parameter_force_fetch": Scenario(seed={ep: Param(URL)}, update={ep: Param(URL2)}),
        "recursive_ssm_parameter_force_fetch": Scenario(
            seed={ep: Param(URL), "/lambda-powertools/other": Param("x")}, update={ep: Param(URL2)}
        ),
        # transform="json": the parameter holds a JSON string, the URL.
        "working_with_transform_high_level": Scenario(seed={ep: Param(json.dumps(URL))}, update={ep: Param(json.dumps(URL2))}),
        "working_with_transform_high_level[not-json]": Scenario(seed={ep: Param(URL)}),
        "builtin_provider_ssm_single_parameter": Scenario(
            seed={ep: Param(URL)}, update={ep: Param(URL2)}, regions=("sa-east-1",)
        ),
        "builtin_provider_ssm_recursive_parameter": Scenario(
            seed={ep: Param(URL)}, update={ep: Param(URL2)}, assume_role=ROLE
        ),
        "builtin_provider_ssm_with_decrypt": Scenario(
            seed={"/lambda-powertools/ec2_pem": Param(_public_key(), "SecureString")}
        ),
        "builtin_provider_ssm_with_no_recursive": Scenario(
            seed={"/config": Param("root"), "/config/endpoint": Param(URL), "/config/endpoint/query": Param("?postId=1")},
        ),
        "handling_error_transform": Scenario(
            seed={"/param/a": Param('{"a": 1}'), "/param/b": Param("[1, 2, 3]"), "/param/c": Param("not json")},
        ),
        "working_with_auto_transform": Scenario(
            seed={
                "/param/a.json": Param('{"feature": true}'),
                "/param/b.binary": Param(base64.b64encode(b"\x00binary\xff").decode()),
                "/param/c": Param("plain"),
            },
            update={"/param/a.json": Param('{"feature": false}')},
        ),
        "custom_boto_session": Scenario(seed={"/my/parameter": Param("mine")}, handler="handler"),
        "custom_boto_config": Scenario(seed={"/my/parameter": Param("mine")}, handler="handler"),
        "custom_boto_client": Scenario(seed={"/my/parameter": Param("mine")}, handler="handler"),
    }


SCENARIOS = scenarios()


# --------------------------------------------------------------------------
# Running one example as one library.


class FakeLambdaContext:
    """What Lambda passes as ``context``; the examples only receive it."""

    function_name = "powertools-docs-example"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:powertools-docs-example"
    memory_limit_in_mb = 128
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/powertools-docs-example"
    log_stream_name = "2026/12/02/[$LATEST]0"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def normalize(value: Any) -> Any:
    """A result as compared: boto3's ResponseMetadata dropped, error messages reduced to their presence."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "ResponseMetadata":
                continue
            if k == "message" and isinstance(v, str) and v:
                v = "<a non-empty message>"
            out[k] = normalize(v)
        return out
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


def outcome(call: Any) -> dict[str, Any]:
    """Runs ``call()`` under the deadline with stdout captured: its return value or exception, and its output."""
    result: dict[str, Any] = {}
    out = io.StringIO()

    def run() -> None:
        try:
            # Powertools' own deprecation warnings (say, SSMProvider(config=...)) are part of the
            # example's behaviour, not a failure: shown, not raised (pytest makes warnings errors here).
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("default")
                result["return"] = normalize(call())
        except BaseException as e:  # noqa: BLE001 - the exception is the outcome
            result["raise"] = type(e).__name__
            if type(e).__module__ not in ("aws_lambda_powertools.utilities.parameters.exceptions",) and not type(
                e
            ).__module__.startswith("ssmconf"):
                result["raise"] += f": {e}"  # the example's own exceptions: the message is the example's

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(DEADLINE)
    if t.is_alive():
        pytest.fail(f"an invocation did not finish within {DEADLINE} s")
    result["stdout"] = sorted(out.getvalue().splitlines())
    return result


@pytest.fixture(scope="module")
def comments() -> Iterator[str]:
    server = CommentsServer()
    yield server.base
    server.stop()


@pytest.fixture
def aws_at_moto(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every AWS client of the examples (boto3's and ssmconf's) on the test's moto_server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_endpoint)
    for name in ("POWERTOOLS_PARAMETERS_MAX_AGE", "POWERTOOLS_PARAMETERS_SSM_DECRYPT"):
        monkeypatch.delenv(name, raising=False)
    # Nothing an example fetches may leave the machine: a proxy that refuses, except for loopback.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return moto_endpoint


def ssm_clients(endpoint: str, scenario: Scenario) -> list[Any]:
    import boto3

    if scenario.assume_role:
        creds = boto3.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=scenario.assume_role, RoleSessionName="seed"
        )["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        return [session.client("ssm", region_name=r, endpoint_url=endpoint) for r in scenario.regions]
    return [boto3.client("ssm", region_name=r, endpoint_url=endpoint) for r in scenario.regions]


def put(clients: list[Any], params: dict[str, Param], base: str) -> None:
    for client in clients:
        for name, p in params.items():
            client.put_parameter(Name=name, Value=p.value.replace("{base}", base), Type=p.type, Overwrite=True)


def reset(clients: list[Any], scenario: Scenario, base: str) -> None:
    """The same SSM for both runs: every name the example touches deleted, then the seed put."""
    names = {name for s in SCENARIOS.values() for name in (*s.seed, *s.update, *s.writes)}
    for client in clients:
        for name in names:
            with contextlib.suppress(client.exceptions.ParameterNotFound):
                client.delete_parameter(Name=name)
    put(clients, scenario.seed, base)


def clear_all_caches() -> None:
    from aws_lambda_powertools.utilities import parameters as powertools

    from ssmconf import parameters as ours

    powertools.clear_caches()
    ours.clear_caches()


def run_example(key: str, source: str, scenario: Scenario, endpoint: str, base: str) -> list[dict[str, Any]]:
    """One Lambda lifetime of the example: cold start, invoke, change SSM, invoke again."""
    clients = ssm_clients(endpoint, scenario)
    reset(clients, scenario, base)
    clear_all_caches()
    module = types.ModuleType(f"powertools_example_{uuid.uuid4().hex}")
    module.__file__ = f"examples/parameters/src/{key}.py"
    sys.modules[module.__name__] = module
    try:
        results = [outcome(lambda: exec(compile(source, module.__file__, "exec"), module.__dict__))]
        handler = module.__dict__.get(scenario.handler)
        assert callable(handler), f"{key} has no {scenario.handler}: {results[0]}"
        for i in range(scenario.invocations):
            if i == 1:
                put(clients, scenario.update, base)
            results.append(outcome(lambda: handler({}, FakeLambdaContext())))
        return results
    finally:
        del sys.modules[module.__name__]
        clear_all_caches()


@pytest.mark.parametrize("case", list(SCENARIOS))
def test_example_gives_powertools_results(case: str, aws_at_moto: str, comments: str) -> None:
    key = case.split("[", 1)[0]
    scenario = SCENARIOS[case]
    source = EXAMPLES[key]
    theirs = run_example(key, source, scenario, aws_at_moto, comments)
    ours = run_example(key, rewrite(source), scenario, aws_at_moto, comments)
    assert ours == theirs
    # The proof is only worth something if the example did what its page says (no hidden failure
    # shared by both runs): the happy cases return data, the error variants reach their except clause.
    if "[" not in case and scenario.handler == "lambda_handler":
        assert all("raise" not in r or key == "builtin_provider_ssm_with_no_recursive" for r in theirs), theirs


EXPECTED = {
    # A few results spelled out, so that "both the same" cannot mean "both broken".
    "getting_started_single_ssm_parameter": lambda r: r[1]["return"]["statusCode"] == 200
    and r[1]["return"]["comments"] == _comments(1)[:10]
    and r[2]["return"]["comments"] == _comments(1)[:10],  # cached for 300 s: the change is not seen yet
    "single_ssm_parameter_force_fetch": lambda r: r[2]["return"]["comments"] == _comments(2)[:10],
    "recursive_ssm_parameter_force_fetch": lambda r: r[2]["return"]["comments"] == _comments(2)[:10],
    "getting_started_single_ssm_parameter[missing]": lambda r: r[1]["return"]
    == {"comments": None, "message": "<a non-empty message>", "statusCode": 400},
    "getting_started_parameter_by_name": lambda r: "/no_cache_param: second" in r[2]["stdout"]
    and "/develop/service/payment/api/capture/url: https://payments.example/capture" in r[2]["stdout"],
    "get_parameter_by_name_error_handling": lambda r: "_errors: ['/this/param/does/not/exist']" in r[1]["stdout"],
    "getting_started_set_single_ssm_parameter": lambda r: r[1]["return"]["statusCode"] == 200
    and r[2]["return"]["statusCode"] == 400,
    "working_with_transform_high_level[not-json]": lambda r: r[1]["raise"] == "TransformParameterError",
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_powertools_example_does_what_its_page_says(case: str, aws_at_moto: str, comments: str) -> None:
    key = case.split("[", 1)[0]
    ours = run_example(key, rewrite(EXAMPLES[key]), SCENARIOS[case], aws_at_moto, comments)
    assert EXPECTED[case](ours), ours


# --------------------------------------------------------------------------
# The "Testing your code" examples: pytest files of their own, run by pytest in a child.

TESTING = (
    "tests/test_single_mock",
    "tests/test_with_fixture",
    "tests/test_with_monkeypatch",
    "tests/test_clear_cache_method",  # on SSMProvider
    "tests/test_clear_cache_global",
)


def run_pytest_on(folder: Path, tests: list[str], env: dict[str, str]) -> tuple[int, str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), *tests],
        cwd=folder,
        env={**env, "PYTHONPATH": os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH")) if p)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.returncode, out.stdout + out.stderr


def test_testing_your_code_examples_pass_as_they_do_for_powertools(tmp_path: Path, aws_at_moto: str) -> None:
    selected = list(TESTING)
    outcomes = {}
    for lib, transform in (("powertools", lambda s: s), ("ssmconf", rewrite)):
        folder = tmp_path / lib
        for key in ("tests/src/single_mock", "tests/src/app", *selected):
            path = folder / (key.split("/", 1)[1] + ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(transform(EXAMPLES[key]))
        (folder / "src" / "__init__.py").write_text("")
        code, output = run_pytest_on(folder, [t.split("/", 1)[1] + ".py" for t in selected], dict(os.environ))
        outcomes[lib] = (code, re.findall(r"\d+ passed", output))
        assert code == 0, f"{lib}:\n{output}"
    assert outcomes["ssmconf"] == outcomes["powertools"] == (0, [f"{len(selected)} passed"])
