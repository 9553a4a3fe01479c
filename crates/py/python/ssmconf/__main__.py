"""``python -m ssmconf ARGS...``: the ``ssmconf`` command line."""

import sys

from ssmconf._cli import main

sys.exit(main())
