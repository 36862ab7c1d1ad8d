"""Typed Pulumi components to self-host Proliferate on AWS.

The public names below import from the top-level package::

    from proliferate_components import Network, RedisCache, PostgresDb, StackConfig

They load lazily (PEP 562): importing the package itself imports neither pulumi nor
pulumi_aws, so the ``proliferate-infra`` command starts fast and importing has no side effects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .accesslogs import (
        AccessLogBucket as AccessLogBucket,
    )
    from .accesslogs import (
        AccessLogBucketArgs as AccessLogBucketArgs,
    )
    from .cache import (
        RedisCache as RedisCache,
    )
    from .cache import (
        RedisCacheArgs as RedisCacheArgs,
    )
    from .config import (
        CONFIG_KEYS as CONFIG_KEYS,
    )
    from .config import (
        DEV_PRESET as DEV_PRESET,
    )
    from .config import (
        PROD_PRESET as PROD_PRESET,
    )
    from .config import (
        ConfigKey as ConfigKey,
    )
    from .config import (
        StackConfig as StackConfig,
    )
    from .contract import (
        PlatformContract as PlatformContract,
    )
    from .contract import (
        PlatformUrls as PlatformUrls,
    )
    from .database import (
        PostgresDb as PostgresDb,
    )
    from .database import (
        PostgresDbArgs as PostgresDbArgs,
    )
    from .dns import (
        DnsTls as DnsTls,
    )
    from .dns import (
        DnsTlsArgs as DnsTlsArgs,
    )
    from .environment import (
        ENVIRONMENT as ENVIRONMENT,
    )
    from .environment import (
        EnvVar as EnvVar,
    )
    from .errors import (
        ConfigError as ConfigError,
    )
    from .errors import (
        ProliferateError as ProliferateError,
    )
    from .errors import (
        UnansweredInvokeError as UnansweredInvokeError,
    )
    from .iam import (
        EcsExecutionRole as EcsExecutionRole,
    )
    from .iam import (
        EcsExecutionRoleArgs as EcsExecutionRoleArgs,
    )
    from .kms import (
        EncryptionKey as EncryptionKey,
    )
    from .kms import (
        EncryptionKeyArgs as EncryptionKeyArgs,
    )
    from .loadbalancer import (
        LbRoute as LbRoute,
    )
    from .loadbalancer import (
        PublicLoadBalancer as PublicLoadBalancer,
    )
    from .loadbalancer import (
        PublicLoadBalancerArgs as PublicLoadBalancerArgs,
    )
    from .network import (
        Network as Network,
    )
    from .network import (
        NetworkArgs as NetworkArgs,
    )
    from .platform import (
        PLATFORM_SERVICES as PLATFORM_SERVICES,
    )
    from .secrets import (
        SecretsBundle as SecretsBundle,
    )
    from .secrets import (
        SecretsBundleArgs as SecretsBundleArgs,
    )
    from .service import (
        AutoscalingArgs as AutoscalingArgs,
    )
    from .service import (
        CaBundleArgs as CaBundleArgs,
    )
    from .service import (
        FargateService as FargateService,
    )
    from .service import (
        FargateServiceArgs as FargateServiceArgs,
    )
    from .stack import (
        ProliferateStack as ProliferateStack,
    )
    from .stack import (
        ProliferateStackArgs as ProliferateStackArgs,
    )
    from .stack import (
        ServiceImage as ServiceImage,
    )
    from .subnets import (
        SubnetLayout as SubnetLayout,
    )
    from .subnets import (
        plan_subnets as plan_subnets,
    )

_EXPORTS: dict[str, str] = {
    "AccessLogBucket": "accesslogs",
    "AccessLogBucketArgs": "accesslogs",
    "RedisCache": "cache",
    "RedisCacheArgs": "cache",
    "CONFIG_KEYS": "config",
    "DEV_PRESET": "config",
    "PROD_PRESET": "config",
    "ConfigKey": "config",
    "StackConfig": "config",
    "PlatformContract": "contract",
    "PlatformUrls": "contract",
    "PLATFORM_SERVICES": "platform",
    "PostgresDb": "database",
    "PostgresDbArgs": "database",
    "DnsTls": "dns",
    "DnsTlsArgs": "dns",
    "ENVIRONMENT": "environment",
    "EnvVar": "environment",
    "ConfigError": "errors",
    "ProliferateError": "errors",
    "UnansweredInvokeError": "errors",
    "EcsExecutionRole": "iam",
    "EcsExecutionRoleArgs": "iam",
    "EncryptionKey": "kms",
    "EncryptionKeyArgs": "kms",
    "LbRoute": "loadbalancer",
    "PublicLoadBalancer": "loadbalancer",
    "PublicLoadBalancerArgs": "loadbalancer",
    "Network": "network",
    "NetworkArgs": "network",
    "SecretsBundle": "secrets",
    "SecretsBundleArgs": "secrets",
    "AutoscalingArgs": "service",
    "CaBundleArgs": "service",
    "FargateService": "service",
    "FargateServiceArgs": "service",
    "ProliferateStack": "stack",
    "ProliferateStackArgs": "stack",
    "ServiceImage": "stack",
    "SubnetLayout": "subnets",
    "plan_subnets": "subnets",
}

__all__ = ["__version__", *sorted(_EXPORTS)]  # pyright: ignore[reportUnsupportedDunderAll]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
