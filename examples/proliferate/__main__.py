"""Proliferate on AWS: the whole platform from `pulumi config` (see README.md)."""

from proliferate_components.config import StackConfig
from proliferate_components.stack import ProliferateStack

config = StackConfig.from_pulumi_config()
stack = ProliferateStack("proliferate", config)
stack.export_outputs()
