"""The ``ssmconf`` console script: the Rust command line, run in this process.

``pip install ssmconf`` installs ``ssmconf`` as a script calling :func:`main`,
which hands ``sys.argv`` to the same Rust code as the ``ssmconf`` binary
(``ssmconf_cli::run``): the same flags, output, logging and exit codes.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import Optional


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs ``ssmconf ARGS...`` and answers its exit code.

    ``argv`` defaults to ``sys.argv[1:]``.
    """
    from ssmconf._ssmconf import _cli_main

    args = sys.argv[1:] if argv is None else list(argv)
    # The command runs in Rust with the GIL released, where Python's own
    # SIGINT handler would only set a flag: Ctrl-C ends it as it ends the
    # binary.
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        # Whatever Python printed so far goes out before the command's output.
        sys.stdout.flush()
        sys.stderr.flush()
        return _cli_main(["ssmconf", *args])
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
