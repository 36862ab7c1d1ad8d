"""Operating a deployed stack: the pieces the setup wizard and ``deploy`` share.

- :mod:`.errors`: :class:`~.errors.StepError`, a failed step with a clear message.
- :mod:`.aws_errors`: botocore failures turned into :class:`~.errors.StepError`.
- :mod:`.pulumi_backend`: the :class:`~.pulumi_backend.PulumiBackend` protocol and its
  Automation API implementation (the tests use an in-memory one, ``tests/fake_pulumi.py``).
- :mod:`.migrations`: the one-off migration task on ECS.

Nothing here imports boto3 or pulumi at import time.
"""
