"""The coaching service's "default LLM models" feature, rebuilt on ssmconf.

Admins pick which model each tier uses by default; the service reads the
choice on every request. The choice lives in Parameter Store, so it changes
without a deploy; ssmconf caches it for five minutes, checks every update
against the model registry, and falls back to the hard-coded defaults when
Parameter Store cannot answer, so a request never fails for want of a model.

    python examples/python/default_models.py                       # in memory, no AWS
    python examples/python/default_models.py --endpoint-url http://127.0.0.1:5000   # moto_server
    python examples/python/default_models.py --endpoint-url ... --stage dev

Needs the ``ssmconf`` package (``maturin develop -m crates/py/Cargo.toml``).
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from typing import Optional, Union

import ssmconf

# The model registry: the only codes an admin may choose.
MODEL_REGISTRY = [
    "CLAUDE_3_5_SONNET_V2",
    "CLAUDE_3_7_SONNET",
    "CLAUDE_SONNET_4_5",
    "CLAUDE_OPUS_4_5",
    "GPT_4O",
    "GPT_5_MINI",
]

# What the service used before Parameter Store, and still uses when it is down.
HARD_CODED_DEFAULTS = {"basic": "CLAUDE_3_5_SONNET_V2", "premium": "CLAUDE_OPUS_4_5"}

TIERS = tuple(HARD_CODED_DEFAULTS)

# The schema, as a dict (a YAML file with the same shape works too).
SCHEMA = {
    "models": {
        f"default_{tier}": {
            "ssm_param": f"/purposepath/{{stage}}/models/default_{tier}",
            "description": f"Default LLM model code for the {tier} tier",
            "default": HARD_CODED_DEFAULTS[tier],
            "allowed": MODEL_REGISTRY,
            "ttl": "5m",
        }
        for tier in TIERS
    }
}

_resolver: Optional[ssmconf.Resolver] = None


def configure(store: Union[ssmconf.SsmStore, ssmconf.MemoryStore], stage: str) -> ssmconf.Resolver:
    """Builds the resolver the functions below use (once per process, at start-up)."""
    global _resolver
    _resolver = ssmconf.Resolver(SCHEMA, vars={"stage": stage}, store=store)
    return _resolver


def _r() -> ssmconf.Resolver:
    if _resolver is None:
        raise RuntimeError("call configure(store, stage) first")
    return _resolver


def _key(tier: str) -> str:
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; tiers: {', '.join(TIERS)}")
    return f"models.default_{tier}"


def get_default_models() -> dict[str, str]:
    """The default model code of every tier: from Parameter Store (cached 5 minutes),
    else the last value it gave, else the hard-coded default."""
    return {tier: _r().get(_key(tier), HARD_CODED_DEFAULTS[tier]) for tier in TIERS}


def update_default_model(tier: str, code: str) -> int:
    """An admin's update: checked against the registry, written, and visible on the
    next read. Returns the parameter's new version; raises ``ssmconf.ValidationError``
    for a code that is not in the registry (nothing is written then)."""
    return _r().put(_key(tier), code)


def list_available_models() -> list[str]:
    """The codes an admin may choose from."""
    return list(MODEL_REGISTRY)


def _show(resolver: ssmconf.Resolver, label: str) -> None:
    parts = []
    for tier in TIERS:
        why = resolver.explain(_key(tier))
        parts.append(f"{tier}={why.value} ({why.source})")
    print(f"{label}: {'  '.join(parts)}")


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"unexpected: {what} does not hold")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", help="an SSM-compatible endpoint (moto_server); default: in memory")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)

    # ssmconf logs through `logging`, logger "ssmconf": warnings to stderr here.
    logging.basicConfig(level=logging.WARNING, format="[log] %(levelname)s %(name)s: %(message)s")

    memory: Optional[ssmconf.MemoryStore] = None
    if args.endpoint_url:
        store: Union[ssmconf.SsmStore, ssmconf.MemoryStore] = ssmconf.SsmStore(
            region=args.region, endpoint_url=args.endpoint_url
        )
        print(f"store: Parameter Store at {args.endpoint_url}, stage {args.stage}")
    else:
        memory = ssmconf.MemoryStore()
        store = memory
        print(f"store: in memory, stage {args.stage}")
    resolver = configure(store, args.stage)
    for tier in TIERS:
        print(f"parameter: {resolver.ssm_name(_key(tier))}")

    print(f"available models: {', '.join(list_available_models())}")
    print(f"default models: {get_default_models()}")
    _show(resolver, "explained")

    version = update_default_model("basic", "GPT_5_MINI")
    print(f"updated basic -> GPT_5_MINI (version {version})")
    models = get_default_models()
    print(f"default models: {models}")
    _expect(models["basic"] == "GPT_5_MINI", "an update is visible on the next read")

    try:
        update_default_model("premium", "GPT_3")
    except ssmconf.ValidationError as e:
        print(f"refused premium -> GPT_3: {e}")
    print(f"default models: {get_default_models()}")

    # An outage. The running service keeps the last values Parameter Store gave;
    # a service that starts during the outage gets the hard-coded defaults.
    if memory is not None:
        memory.fail("simulated outage")
        outage_store: Union[ssmconf.SsmStore, ssmconf.MemoryStore] = memory
        print("outage: the store refuses every request")
    else:
        outage_store = ssmconf.SsmStore(region=args.region, endpoint_url=f"http://127.0.0.1:{_closed_port()}")
        print("outage: Parameter Store is unreachable")
        # The running service's store cannot be switched off from here; it keeps its cache.
    resolver.clear_cache()
    if memory is not None:
        _show(resolver, "running service")
    cold = configure(outage_store, args.stage)
    models = get_default_models()
    print(f"new instance: default models: {models}")
    _show(cold, "new instance")
    _expect(models == HARD_CODED_DEFAULTS, "the hard-coded defaults answer when the store fails")
    stats = cold.stats()
    print(f"new instance stats: ssm_calls={stats['ssm_calls']} ssm_errors={stats['ssm_errors']}")
    if memory is not None:
        memory.fail(None)
        resolver.clear_cache()
        print("store healed")
        configure(memory, args.stage)
        print(f"default models: {get_default_models()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
