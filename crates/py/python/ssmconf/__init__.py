"""Typed configuration from AWS SSM Parameter Store, cached with a TTL, behind a fallback chain.

>>> import ssmconf
>>> r = ssmconf.Resolver({"models": {"basic": {"ssm_param": "/app/{stage}/basic", "default": "GPT_4O"}}},
...                      vars={"stage": "dev"}, store=ssmconf.MemoryStore())
>>> r.get("models.basic")
'GPT_4O'
>>> r.explain("models.basic").source
'default'

Logs go to the standard ``logging`` module, logger ``ssmconf``.
"""

from ssmconf._ssmconf import (
    CheckReport,
    FileStore,
    HistoryEntry,
    InitPlan,
    MemoryStore,
    PlanItem,
    Problem,
    Resolved,
    Resolver,
    SsmStore,
    __version__,
)
from ssmconf.exceptions import (
    NotFoundError,
    SchemaError,
    SsmconfError,
    StoreError,
    UnknownKeyError,
    ValidationError,
)

__all__ = [
    "CheckReport",
    "FileStore",
    "HistoryEntry",
    "InitPlan",
    "MemoryStore",
    "NotFoundError",
    "PlanItem",
    "Problem",
    "Resolved",
    "Resolver",
    "SchemaError",
    "SsmStore",
    "SsmconfError",
    "StoreError",
    "UnknownKeyError",
    "ValidationError",
    "__version__",
]
