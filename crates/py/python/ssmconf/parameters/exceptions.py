"""The errors of ``ssmconf.parameters``, named as Powertools names them.

Each is also an :class:`ssmconf.SsmconfError`, so one ``except`` catches
every error of ssmconf.
"""

from ssmconf.exceptions import SsmconfError


class GetParameterError(SsmconfError):
    """A parameter could not be read: it does not exist, its name is invalid, or the store failed
    and no earlier value is kept."""


class TransformParameterError(SsmconfError):
    """A value did not transform (``json``, ``binary``, ``auto``); the message never holds the value."""


class SetParameterError(SsmconfError):
    """A parameter could not be written."""


__all__ = ["GetParameterError", "SetParameterError", "TransformParameterError"]
