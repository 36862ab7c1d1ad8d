"""Typed Pulumi components to self-host Proliferate on AWS."""
from ._version import __version__

__all__ = ["__version__"]
