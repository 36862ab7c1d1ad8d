"""Pulumi `protect` rules: data stores cannot be deleted or replaced by an innocent change."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from . import elasticache, rds, secretsmanager
from .rule import ConfigProperty, Resource, StackRule, stack_rule
from .values import flag, items, of_type

DATA_STORE_TYPES: tuple[str, ...] = (
    rds.INSTANCE,
    rds.CLUSTER,
    elasticache.REPLICATION_GROUP,
    elasticache.CLUSTER,
)
"""Types that hold data and must carry ``protect``."""


@stack_rule(
    id="proliferate-protect-data-stores",
    service="protection",
    types=(*DATA_STORE_TYPES, secretsmanager.SECRET),
    description=(
        "Data stores (RDS, ElastiCache; optionally Secrets Manager secrets) carry the Pulumi "
        "protect option, so no update can delete or replace them"
    ),
    severity="high",
    enforcement="mandatory",
    remediation=(
        "pass opts=pulumi.ResourceOptions(protect=True) to the resource (the components do this "
        "unless told otherwise); to delete deliberately, run `pulumi state unprotect` first"
    ),
    config=(
        ConfigProperty(
            "includeSecrets",
            "boolean",
            False,
            "Also require protect on aws:secretsmanager/secret:Secret resources.",
        ),
        ConfigProperty(
            "extraTypes",
            "array",
            (),
            "More type tokens that must be protected (e.g. aws:efs/fileSystem:FileSystem).",
            items_type="string",
        ),
    ),
    equivalents=(),
)
def protect_data_stores(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[Resource, str]]:
    """Every resource of a data-store type has protect=True."""
    types = list(DATA_STORE_TYPES) + [str(t) for t in items(config.get("extraTypes"))]
    if flag(config.get("includeSecrets")):
        types.append(secretsmanager.SECRET)
    for r in of_type(resources, *types):
        if r.type == elasticache.CLUSTER and r.props.get("replicationGroupId"):
            continue  # member of a replication group: protect the group
        if not r.protect:
            yield (
                r,
                f"{r.label} is not protected: an update that replaces or deletes it loses its data",
            )


RULES: tuple[StackRule, ...] = (protect_data_stores,)
"""The protection rules."""
