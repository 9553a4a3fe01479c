"""Helpers the tests import (``from helpers import ...``); fixtures live in conftest.py."""

from __future__ import annotations

import socket
from typing import Optional

import pytest


def free_port() -> int:
    """A port nothing listens on right now (bound to 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def messages(caplog: pytest.LogCaptureFixture, level: Optional[int] = None) -> list[str]:
    """The messages the ``ssmconf`` logger emitted, optionally only those of one level."""
    return [
        r.getMessage() for r in caplog.records if r.name == "ssmconf" and (level is None or r.levelno == level)
    ]
