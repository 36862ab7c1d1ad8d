"""Generated credentials of the data stores."""

import pulumi
import pulumi_random as random

from ._options import child_opts


def url_safe_credential(
    owner: pulumi.ComponentResource, name: str, *, length: int, protect: bool
) -> random.RandomPassword:
    """A random credential of letters and digits only, so it sits unescaped in a URL
    (RDS forbids ``/ @ "`` and space in a password, ElastiCache ``/ " @`` in an AUTH
    token). A new one is a new credential for a running data store: it is protected like
    the store (``protect``)."""
    return random.RandomPassword(
        name,
        length=length,
        special=False,
        upper=True,
        lower=True,
        numeric=True,
        opts=child_opts(owner, protect=protect),
    )
