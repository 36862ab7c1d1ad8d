"""The setup wizard behind ``proliferate-infra setup``.

From a fresh clone to a running stack: AWS credentials, a Pulumi S3 state backend, the
stack and its config, ``pulumi up``, an optional one-off migration task, and a complete
``.env.local``. Every step reads the current state first and writes only the difference, so
running the wizard again with the same answers changes nothing.

Modules (each imported on demand; nothing here imports boto3 or pulumi at import time):

- :mod:`.answers`: where answers come from (flags, environment, answers file, prompts).
- :mod:`.prompts`: the :class:`~.prompts.Prompter` protocol and its implementations.
- :mod:`.context`: the run context (answers, prompter, dry-run, change confirmation).
- :mod:`.credentials`, :mod:`.state_backend`, :mod:`.secrets_provider`, :mod:`.domain`: the
  AWS steps; the migration task, the Pulumi backend and AWS error messages are shared with
  ``deploy`` in :mod:`proliferate_components.ops` (the old module names still import).
- :mod:`.pulumi_install`: installing the Pulumi CLI.
- :mod:`.validation`: test calls that check the user's API credentials.
- :mod:`.stack_config`: desired stack config and applying it.
- :mod:`.envfile`, :mod:`.env_resolution`: reading, resolving and writing ``.env.local``.
- :mod:`.summary`: the closing next-steps checklist.
- :mod:`.errors`: :class:`~.errors.SetupError` and its subclasses.
- :mod:`.flow`: the steps in order (:func:`~.flow.run_setup`).

See docs/setup-wizard.md for every prompt, flag and decision.
"""
