"""The exceptions of ssmconf, one class per kind of error.

The hierarchy lives here, in Python, because two of the classes have two
bases (``UnknownKeyError`` is also a ``KeyError``, ``NotFoundError`` also a
``LookupError``); the native module raises these very classes.
"""


class SsmconfError(Exception):
    """Every error ssmconf raises."""


class SchemaError(SsmconfError):
    """The schema could not be loaded: the message names file:line:column and the key."""

    file: str
    line: int
    column: int
    key: str


class UnknownKeyError(SsmconfError, KeyError):
    """The key is not in the schema; the message suggests the nearest known key."""

    key: str
    suggestion: "str | None"

    # KeyError.__str__ would print the message in quotes.
    __str__ = Exception.__str__


class NotFoundError(SsmconfError, LookupError):
    """Every step of the fallback chain came up empty (``require``)."""

    key: str
    ssm_param: "str | None"
    steps: "list[tuple[str, str]]"
    """What each step of the chain found: (step, found)."""


class ValidationError(SsmconfError):
    """A value did not decode, is not allowed, or does not fit. Never holds a secure value."""

    key: str


class StoreError(SsmconfError):
    """The parameter store failed and nothing fell back (writes, history, check)."""

    kind: str
    """``throttled``, ``timeout``, ``network``, ``service error``, ``access denied``, ``rejected``..."""
    transient: bool
    """True when retrying later may succeed."""


__all__ = [
    "NotFoundError",
    "SchemaError",
    "SsmconfError",
    "StoreError",
    "UnknownKeyError",
    "ValidationError",
]
