"""The fallback chain from Python, with no AWS account.

    scripts/test.sh            (builds the package into .venv once)
    .venv/bin/python examples/python/quickstart.py
"""

import logging
from pathlib import Path

import ssmconf

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

store = ssmconf.MemoryStore({"/purposepath/dev/models/default_basic": "CLAUDE_SONNET_4_5"})
r = ssmconf.Resolver(Path(__file__).parent.parent / "config" / "app.yml", vars={"stage": "dev"}, store=store)

print("basic:   ", r.get("models.default_basic"))              # from the store
print("premium: ", r.get("models.default_premium"))            # the schema default
print("bucket:  ", r.get("s3.bucket", "local-checkpoints"))   # the caller's default
print("epochs:  ", r["training.epochs"])                       # a literal

store.fail("Rate exceeded")     # Parameter Store is throttling now...
r.clear_cache()                 # ...and the cache is empty
why = r.explain("models.default_basic")
print(f"basic:    {why.value} (source {why.source}, error {why.error!r})")
print("stats:   ", r.stats())
