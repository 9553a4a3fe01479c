"""Parameters by name and by path, with the interface of Powertools for AWS Lambda.

Migrating from Powertools is changing the import::

    from ssmconf import parameters          # was: from aws_lambda_powertools.utilities import parameters

    url = parameters.get_parameter("/app/dev/url")
    flags = parameters.get_parameters("/app/dev/flags")          # {"beta": "on", "deep/x": "1"}
    config = parameters.get_parameter("/app/dev/config", transform="json")

Backed by the Rust core: a cache bounded in size, one request for many
concurrent readers of a name, retries, and the last value when SSM fails.
``POWERTOOLS_PARAMETERS_MAX_AGE`` (300 s by default) and
``POWERTOOLS_PARAMETERS_SSM_DECRYPT`` (false by default) are read as
Powertools reads them.
"""

from ssmconf.parameters import exceptions
from ssmconf.parameters.exceptions import GetParameterError, SetParameterError, TransformParameterError
from ssmconf.parameters.ssm import (
    SSMProvider,
    clear_caches,
    get_parameter,
    get_parameters,
    get_parameters_by_name,
    set_parameter,
)

__all__ = [
    "GetParameterError",
    "SSMProvider",
    "SetParameterError",
    "TransformParameterError",
    "clear_caches",
    "exceptions",
    "get_parameter",
    "get_parameters",
    "get_parameters_by_name",
    "set_parameter",
]
