"""The wizard's steps in order; each reads the current state first and writes only the
difference, so a second run with the same answers changes nothing and an interrupted run
converges when run again.

1. inputs: every explicit answer is validated before any AWS call or write; the cloud
   provider (only AWS is supported);
2. preflight: Pulumi CLI (install offer), AWS credentials (STS);
3. backend: S3 bucket (+ optional DynamoDB table), secrets provider, ``pulumi login``;
4. stack: select or create; core config, sizing preset, domain/TLS config;
5. environment (before ``up``): user and generated values (an existing ``.env.prod`` is
   carried over into ``.env.local``), the API credentials tested with their providers
   (unless ``--skip-validation``), then pushed to the stack as Pulumi config
   (``proliferate:<NAME>``, secret for secrets) so the services get the same values as the
   env file;
6. ``pulumi up --yes`` (unless ``--skip-pulumi-up``), then the stack outputs;
7. migrations (optional, only after a successful ``up`` in this run);
8. environment (after ``up``): stack output keys; write ``.env.local`` (mode 0600);
9. summary and next steps;
10. optionally ``proliferate-infra deploy`` (:func:`~proliferate_components.deploy.flow.run_deploy`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CONFIG_KEYS
from ..environment import ENVIRONMENT, Source, config_key, env_var
from ..errors import ConfigError
from ..ops.migrations import MigrationResult, run_migrations, target_from_outputs
from ..ops.pulumi_backend import AutomationPulumiBackend, ConfigEntry, OutputEntry, PulumiBackend
from ..sizing import validate_certificate_arn, validate_domain_name, validate_region
from . import credentials as aws_credentials
from .context import SetupContext
from .domain import describe_certificate, find_hosted_zone, validation_steps
from .env_resolution import (
    EnvInputs,
    Resolved,
    is_stack_output_key,
    resolve_environment,
    validate_explicit_env,
)
from .envfile import (
    ENV_FILE_NAME,
    FILE_MODE,
    LEGACY_ENV_FILE_NAME,
    EnvLine,
    example_order,
    example_values,
    ordered_names,
    read_env_file,
    render_env_file,
    write_env_file,
)
from .errors import SetupError
from .pulumi_install import Runner, ensure_pulumi
from .secrets_provider import (
    DEFAULT_KMS_ALIAS,
    SecretsProvider,
    resolve_secrets_provider,
    validate_alias,
)
from .stack_config import (
    SECRET_KEYS,
    Desired,
    apply_config,
    check_config_value,
    preset_values,
    validate_stack_config,
)
from .state_backend import (
    BackendLocation,
    backend_url,
    default_bucket_name,
    ensure_lock_table,
    ensure_state_bucket,
    parse_backend_url,
    validate_bucket_name,
)
from .summary import DomainPlan, checklist
from .validation import (
    DEFAULT_TIMEOUT_SECONDS,
    CredentialCheck,
    Endpoints,
    check_credentials,
    require_accepted,
)

if TYPE_CHECKING:
    from ..deploy.flow import DeployDeps, DeployRequest
    from ..deploy.result import DeployResult, Progress

PulumiFactory = Callable[[Path, dict[str, str]], PulumiBackend]
"""Builds the Pulumi backend for a project directory and a (shared, mutable) environment."""

_STACK_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_CLOUD_VALID = (
    "aws: only AWS is supported today (GCP and Azure are not: the components, the policy "
    "pack and the stack are AWS-only, see docs/decisions.md)"
)


def _automation(project_dir: Path, env: dict[str, str]) -> PulumiBackend:
    return AutomationPulumiBackend(project_dir, env=env)


@dataclass
class SetupDeps:
    """The outside world of a run (tests replace parts of it).

    Attributes:
        pulumi_factory: builds the Pulumi backend (default: the Automation API).
        session_factory: builds boto3 sessions (default: ``boto3.Session``).
        aws_max_attempts: attempts per AWS call (default 8, standard retry mode).
        install_runner: runs the Pulumi install command (default: ``subprocess.run``).
        migration_poll_seconds: delay between checks of the migration task (default 6).
        sleep: how to wait between those checks (default ``time.sleep``).
        credential_endpoints: where the credential test calls go (default: the providers).
        credential_timeout: timeout of each test call, seconds (default 5).
        deploy: runs ``proliferate-infra deploy`` at the end (default:
            :func:`~proliferate_components.deploy.flow.run_deploy`).
    """

    pulumi_factory: PulumiFactory = _automation
    session_factory: aws_credentials.SessionFactory = aws_credentials.default_session_factory
    aws_max_attempts: int = 8
    install_runner: Runner | None = None
    migration_poll_seconds: float = 6.0
    sleep: Callable[[float], None] | None = None
    credential_endpoints: Endpoints = field(default_factory=Endpoints)
    credential_timeout: float = DEFAULT_TIMEOUT_SECONDS
    deploy: Callable[[DeployRequest, DeployDeps, Progress], DeployResult] | None = None


@dataclass
class SetupResult:
    """What a run did and found.

    Attributes:
        stack: the stack name.
        backend_url: the ``pulumi login`` URL.
        outputs: the stack outputs read at the end.
        env_file: the env file path.
        env_written: the env file was (or in a dry run would be) written.
        backup: the backup of the previous env file, if one was made.
        values: the resolved environment (``None`` values are unset).
        migration: the migration task's result, if it ran.
        steps: the next-steps checklist.
        changes: every change made (or that would be made in a dry run).
        checks: the credential test calls made.
        migrated_from: the ``.env.prod`` whose values were carried over, if any.
        deploy: the outcome of ``proliferate-infra deploy``, if it ran.
    """

    stack: str
    backend_url: str
    outputs: dict[str, OutputEntry] = field(default_factory=dict[str, OutputEntry])
    env_file: Path | None = None
    env_written: bool = False
    backup: Path | None = None
    values: dict[str, Resolved] = field(default_factory=dict[str, Resolved])
    migration: MigrationResult | None = None
    steps: list[str] = field(default_factory=list[str])
    changes: list[str] = field(default_factory=list[str])
    checks: list[CredentialCheck] = field(default_factory=list[CredentialCheck])
    migrated_from: Path | None = None
    deploy: DeployResult | None = None


def _path_answer(ctx: SetupContext, key: str) -> Path | None:
    answer = ctx.answers.get(key)
    return None if answer is None or not str(answer.value) else Path(str(answer.value)).expanduser()


def _check_inputs(ctx: SetupContext) -> Path:
    """Validate every explicit answer (before any AWS call or write); returns the project dir."""
    cloud = ctx.answers.get("cloud")
    if cloud is not None and cloud.value != "aws":
        raise ConfigError("cloud", cloud.value, _CLOUD_VALID)
    source = _path_answer(ctx, "source")
    if source is not None and not source.is_dir():
        raise ConfigError("source", str(source), "a directory: a checkout of the platform")
    project_dir = _path_answer(ctx, "project_dir") or Path.cwd()
    if not any((project_dir / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml")):
        raise ConfigError(
            "project_dir",
            str(project_dir),
            "a Pulumi project directory containing Pulumi.yaml (e.g. examples/proliferate)",
        )
    checks: dict[str, Callable[[str], None]] = {
        "region": lambda v: validate_region(v, key="region"),
        "backend_bucket": lambda v: validate_bucket_name(v),
        "kms_alias": lambda v: validate_alias(v),
        "domain_name": lambda v: validate_domain_name(v, key="domain_name"),
        "certificate_arn": lambda v: validate_certificate_arn(v, key="certificate_arn"),
    }
    for key, check in checks.items():
        answer = ctx.answers.get(key)
        if answer is not None and str(answer.value):
            check(str(answer.value))
    stack = ctx.answers.get("stack")
    if stack is not None and not _STACK_RE.match(str(stack.value)):
        raise ConfigError("stack", stack.value, "letters, digits, _ . - (up to 100)")
    provider = ctx.answers.get("secrets_provider")
    if provider is not None:
        text = str(provider.value)
        if text not in ("kms", "passphrase") and not text.startswith("awskms://"):
            raise ConfigError(
                "secrets_provider", text, "kms, passphrase or an awskms://alias/NAME?region=R URL"
            )
    skip = ctx.answers.get("skip_pulumi_up")
    migrate = ctx.answers.get("run_migrations")
    if skip and skip.value and migrate and migrate.value:
        raise ConfigError(
            "run_migrations",
            True,
            "false with --skip-pulumi-up: migrations run only after a successful pulumi up",
        )
    for key, answer in ctx.answers.config_overrides().items():
        if key.partition(":")[0] not in ("proliferate", "aws") or key in ("aws:region",):
            raise ConfigError(
                f"--config {key}", key, "a proliferate:<key> (use --region for aws:region)"
            )
        check_config_value(key, str(answer.value), secret=key in SECRET_KEYS)
    validate_explicit_env(ctx)
    return project_dir


def _bool_text(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class _Run:
    """The outside world one run works with, once the preflight has set it up."""

    deps: SetupDeps
    project_dir: Path
    pulumi: PulumiBackend
    pulumi_env: dict[str, str]
    """The environment Pulumi runs in (shared with the backend; grows as steps add to it)."""
    login: aws_credentials.AwsLogin
    region: str
    """The answered region; the stack's own region once :func:`_configure_stack` read it."""


@dataclass
class _StackState:
    """The selected stack: its name, whether it can be read yet, its config and outputs."""

    name: str
    ready: bool
    """The stack exists (or was just created): a dry run on a new stack reads nothing."""
    current: dict[str, ConfigEntry]
    outputs_before: dict[str, OutputEntry]
    """The outputs before this run's ``pulumi up`` (empty: never deployed)."""


@dataclass
class _EnvState:
    """The env file, where its values come from, and the values resolved so far."""

    path: Path
    example: Path | None
    existing: dict[str, str]
    migrated_from: Path | None
    inputs: EnvInputs
    derived: dict[str, str]
    values: dict[str, Resolved]
    checks: list[CredentialCheck]


def run_setup(ctx: SetupContext, deps: SetupDeps | None = None) -> SetupResult:
    """Run every step of the wizard; see the module docstring.

    Raises:
        ConfigError: an invalid answer (before any AWS call or write).
        MissingAnswerError: non-interactive and a required answer is missing.
        SetupError: a step failed; the message says what to do.
    """
    deps = deps or SetupDeps()
    project_dir = _check_inputs(ctx)
    cloud = ctx.text("cloud", "Cloud provider", default="aws")
    if cloud != "aws":
        raise ConfigError("cloud", cloud, _CLOUD_VALID)
    run, previous = _preflight(ctx, deps, project_dir)
    url, provider, backend_ready = _state_backend(ctx, run, previous)
    stack = _select_stack(ctx, run, provider, backend_ready=backend_ready)
    desired, domain_plan, external_db = _configure_stack(ctx, run, stack)
    env = _environment_before_up(ctx, run, stack, domain_plan, desired, external_db)
    up_done = _pulumi_up(ctx, run, stack.name)
    outputs = run.pulumi.outputs(stack.name) if stack.ready else {}
    migration: MigrationResult | None = None
    if up_done and ctx.flag(
        "run_migrations", "Run the database migrations now (one-off ECS task)?", default=False
    ):
        migration = _migrate(ctx, run.login, outputs, deps)
    ready = up_done or bool(outputs)
    _environment_after_up(ctx, env, outputs, ready=ready)
    written, backup = _write_env(ctx, env.path, env.example, env.values, env.existing)
    steps, deployed = _next_steps(ctx, run, stack.name, domain_plan, outputs, env, ready=ready)
    return SetupResult(
        stack=stack.name,
        backend_url=url,
        outputs=outputs,
        env_file=env.path,
        env_written=written,
        backup=backup,
        values=env.values,
        migration=migration,
        steps=steps,
        changes=list(ctx.changes),
        checks=env.checks,
        migrated_from=env.migrated_from,
        deploy=deployed,
    )


def _preflight(
    ctx: SetupContext, deps: SetupDeps, project_dir: Path
) -> tuple[_Run, BackendLocation | None]:
    """Pulumi CLI (install offer), profile, region and AWS login; also returns the backend
    Pulumi is logged in to, if it is an S3 one (its bucket and region are the defaults)."""
    ctx.echo("Preflight")
    pulumi_env: dict[str, str] = {}
    pulumi = deps.pulumi_factory(project_dir, pulumi_env)
    if deps.install_runner is not None:
        ensure_pulumi(ctx, pulumi, runner=deps.install_runner)
    else:
        ensure_pulumi(ctx, pulumi)
    profile = (
        ctx.text("profile", "AWS profile (empty: default credentials)", required=False) or None
    )
    previous = parse_backend_url(pulumi.current_backend())
    region = ctx.text(
        "region",
        "AWS region",
        default=previous.region if previous else aws_credentials.default_region(profile),
        validate=lambda v: _problem(lambda: validate_region(v, key="region")),
    )
    login = aws_credentials.login(
        ctx,
        region=region,
        profile=profile,
        factory=deps.session_factory,
        max_attempts=deps.aws_max_attempts,
    )
    pulumi_env.update(login.pulumi_env())
    run = _Run(deps, project_dir, pulumi, pulumi_env, login, region)
    return run, previous


def _state_backend(
    ctx: SetupContext, run: _Run, previous: BackendLocation | None
) -> tuple[str, SecretsProvider, bool]:
    """State bucket (and lock table), secrets provider and ``pulumi login``; returns the
    backend URL, the secrets provider and whether Pulumi is logged in to that URL."""
    ctx.echo("Pulumi state backend")
    login, region = run.login, run.region
    bucket = ctx.text(
        "backend_bucket",
        "S3 bucket for the Pulumi state",
        default=previous.bucket
        if previous
        else default_bucket_name(login.identity.account_id, region),
        validate=lambda v: _problem(lambda: validate_bucket_name(v)),
    )
    encryption = ctx.text("bucket_encryption", "Default encryption of the bucket", default="sse-s3")
    bucket_region = ensure_state_bucket(
        ctx,
        login.client("s3"),
        bucket=bucket,
        region=region,
        account_id=login.identity.account_id,
        encryption="kms" if encryption == "kms" else "sse-s3",
    )
    table_answer = ctx.answers.get("dynamodb_lock_table")
    if table_answer is not None and str(table_answer.value):
        ensure_lock_table(ctx, login.client("dynamodb"), table=str(table_answer.value))
    provider_choice = ctx.text(
        "secrets_provider", "Secrets provider (kms, passphrase or awskms://...)", default="kms"
    )
    provider = resolve_secrets_provider(
        ctx,
        login.client("kms"),
        login.client("resourcegroupstaggingapi"),
        choice=provider_choice,
        alias=ctx.text("kms_alias", "KMS alias", default=DEFAULT_KMS_ALIAS)
        if provider_choice == "kms"
        else DEFAULT_KMS_ALIAS,
        region=region,
    )
    run.pulumi_env.update(provider.env)
    url = backend_url(bucket, region=bucket_region, profile=login.credentials.profile)
    pulumi = run.pulumi
    if pulumi.current_backend() != url:
        ctx.mutate(f"pulumi login {url}", lambda: pulumi.login(url))
    return url, provider, pulumi.current_backend() == url


def _select_stack(
    ctx: SetupContext, run: _Run, provider: SecretsProvider, *, backend_ready: bool
) -> _StackState:
    """Select the stack, or create it with the secrets provider; read its config and outputs."""
    ctx.echo("Stack")
    pulumi = run.pulumi
    stack = ctx.text(
        "stack",
        "Pulumi stack",
        default="dev",
        validate=lambda v: None if _STACK_RE.match(v) else "letters, digits, _ . -",
    )
    exists = backend_ready and pulumi.stack_exists(stack)
    if exists:
        pulumi.select_or_create_stack(stack, secrets_provider=provider.url)
        ctx.echo(f"  selected existing stack {stack}")
    else:
        ctx.mutate(
            f"create stack {stack} (secrets provider {provider.url})",
            lambda: pulumi.select_or_create_stack(stack, secrets_provider=provider.url),
        )
    ready = exists or not ctx.dry_run
    return _StackState(
        name=stack,
        ready=ready,
        current=pulumi.get_all_config(stack) if ready else {},
        outputs_before=pulumi.outputs(stack) if ready else {},
    )


def _configure_stack(
    ctx: SetupContext, run: _Run, stack: _StackState
) -> tuple[dict[str, Desired], DomainPlan, bool]:
    """Core config, sizing preset and domain/TLS, written to the stack; returns the desired
    config, the domain plan and whether the database is external."""
    stack_region = stack.current.get("aws:region")
    if (
        stack_region
        and stack_region.value != run.region
        and ctx.answers.get("region") is None
        and not ctx.interactive
    ):
        ctx.echo(f"  using the stack's region {stack_region.value} (pass --region to change it)")
        run.region = stack_region.value
        run.login.region = run.region
    desired, domain_plan, external_db = _stack_answers(
        ctx, run.login, stack.name, run.region, stack.current
    )
    validate_stack_config(stack.current, desired)
    apply_config(ctx, run.pulumi, stack.name, stack.current, desired)
    if stack.ready and not ctx.dry_run:
        stack.current = run.pulumi.get_all_config(stack.name)
    return desired, domain_plan, external_db


def _env_sources(
    ctx: SetupContext, project_dir: Path
) -> tuple[Path, Path | None, dict[str, str], Path | None]:
    """The env file, the ``.env.example`` to follow and the values the env file has (with
    those of a legacy ``.env.prod`` carried over); the last item is that ``.env.prod``."""
    env_file = _path_answer(ctx, "env_file") or project_dir / ENV_FILE_NAME
    example_path = _path_answer(ctx, "env_example")
    if example_path is None and (project_dir / ".env.example").is_file():
        example_path = project_dir / ".env.example"
    existing = read_env_file(env_file)
    legacy = env_file.with_name(LEGACY_ENV_FILE_NAME)
    if env_file.name != ENV_FILE_NAME or not legacy.is_file():
        return env_file, example_path, existing, None
    carried = {k: v for k, v in read_env_file(legacy).items() if k not in existing}
    if not carried:
        return env_file, example_path, existing, None
    ctx.echo(
        f"  carrying {len(carried)} values over from {legacy} into {env_file} "
        f"({legacy.name} itself is left as it is)"
    )
    return env_file, example_path, {**carried, **existing}, legacy


def _environment_before_up(
    ctx: SetupContext,
    run: _Run,
    stack: _StackState,
    domain_plan: DomainPlan,
    desired: Mapping[str, Desired],
    external_db: bool,
) -> _EnvState:
    """Resolve the values known before ``up``, test the API credentials, and push what the
    services need to the stack's config."""
    ctx.echo("Environment")
    env_file, example_path, existing, migrated_from = _env_sources(ctx, run.project_dir)
    derived = _derived_values(run.login, run.region, domain_plan, desired)
    inputs = EnvInputs(
        existing=existing,
        config=stack.current,
        outputs=stack.outputs_before,
        derived=derived,
        example=example_values(example_path),
        generate_dev_keys=ctx.flag(
            "generate_dev_keys",
            "Generate dev/test keys (AUTH_TOKEN, TEST_TOKEN, TEST_REPO_ID, DEV_USER_ID)?",
            default=False,
        ),
        external_database=external_db,
    )
    before_names = [
        v.name for v in ENVIRONMENT if not is_stack_output_key(v, external_database=external_db)
    ]
    values = resolve_environment(ctx, inputs, names=before_names, outputs_ready=False)
    checks = _validate_credentials(ctx, values, run.deps)
    env_config = _env_config(ctx, values, stack.current, fresh_stack=not stack.outputs_before)
    apply_config(ctx, run.pulumi, stack.name, stack.current, env_config)
    return _EnvState(
        env_file, example_path, existing, migrated_from, inputs, derived, values, checks
    )


def _pulumi_up(ctx: SetupContext, run: _Run, stack: str) -> bool:
    """``pulumi up --yes`` unless ``--skip-pulumi-up``; whether it ran (not in a dry run)."""
    if ctx.flag("skip_pulumi_up", "Skip pulumi up?", default=False, ask=False):
        ctx.echo("Skipping pulumi up (--skip-pulumi-up)")
        return False
    ctx.echo(f"pulumi up --yes (stack {stack})")
    pulumi = run.pulumi
    ctx.mutate(
        f"run pulumi up --yes on stack {stack}",
        lambda: pulumi.up(stack, on_output=lambda line: ctx.echo("    " + line.rstrip())),
    )
    return not ctx.dry_run


def _environment_after_up(
    ctx: SetupContext, env: _EnvState, outputs: dict[str, OutputEntry], *, ready: bool
) -> None:
    """Resolve the rest of the values (the stack outputs' among them) into ``env.values``."""
    env.inputs.outputs = outputs
    env.inputs.derived = {**env.derived, **_output_derived(outputs)}
    after_names = [v.name for v in ENVIRONMENT if v.name not in env.values]
    env.values.update(resolve_environment(ctx, env.inputs, names=after_names, outputs_ready=ready))


def _next_steps(
    ctx: SetupContext,
    run: _Run,
    stack: str,
    domain_plan: DomainPlan,
    outputs: Mapping[str, OutputEntry],
    env: _EnvState,
    *,
    ready: bool,
) -> tuple[list[str], DeployResult | None]:
    """The next-steps checklist, and ``proliferate-infra deploy`` when asked for (else the
    checklist says how to run it)."""
    values = env.values
    steps = checklist(
        domain_plan,
        outputs,
        app_url=values.get("NEXT_PUBLIC_APP_URL", Resolved(None, "")).value or "",
        google=bool(values.get("GOOGLE_CLIENT_ID", Resolved(None, "")).value),
        unset_keys=[k for k, r in values.items() if r.value is None],
    )
    deployed: DeployResult | None = None
    if ready and ctx.flag(
        "deploy", "Build and deploy the platform now (proliferate-infra deploy)?", default=False
    ):
        deployed = _deploy(ctx, run.deps, run.login, run.project_dir, stack, run.pulumi_env)
    if deployed is None:
        steps.append(
            f"Build and deploy the platform: from a checkout of proliferate-ai/proliferate, run "
            f"`proliferate-infra deploy --stack {stack} --project-dir {run.project_dir}`"
        )
    return steps, deployed


def _validate_credentials(
    ctx: SetupContext, values: Mapping[str, Resolved], deps: SetupDeps
) -> list[CredentialCheck]:
    """Test the API credentials with their providers (unless ``--skip-validation``)."""
    if ctx.flag("skip_validation", "Skip credential checks?", default=False, ask=False):
        ctx.echo("  credential checks skipped (--skip-validation)")
        return []
    ctx.echo("Credential checks")
    checks = check_credentials(
        {name: resolved.value for name, resolved in values.items()},
        endpoints=deps.credential_endpoints,
        timeout=deps.credential_timeout,
    )
    for check in checks:
        outcome = {True: "accepted", False: "REJECTED", None: "not verified"}[check.accepted]
        ctx.echo(
            f"  {check.what} ({check.where}): {outcome}"
            + ("" if check.accepted else f" - {check.detail}")
        )
    require_accepted(checks)
    return checks


def _deploy(
    ctx: SetupContext,
    deps: SetupDeps,
    login: aws_credentials.AwsLogin,
    project_dir: Path,
    stack: str,
    pulumi_env: dict[str, str],
) -> DeployResult | None:
    """``proliferate-infra deploy`` of ``--source`` to the stack, with the run's AWS
    session and Pulumi environment."""
    from ..deploy.flow import DeployDeps, DeployRequest, run_deploy
    from ..deploy.result import LineProgress

    source = _path_answer(ctx, "source") or Path.cwd()
    request = DeployRequest(source=source, stack=stack, project_dir=project_dir)
    if ctx.dry_run:
        ctx.changes.append(f"proliferate-infra deploy --source {source} --stack {stack}")
        ctx.echo(f"  would run proliferate-infra deploy --source {source} --stack {stack}")
        return None
    ctx.echo(f"Deploy ({source})")
    deploy_deps = DeployDeps(
        pulumi_factory=lambda project, env: deps.pulumi_factory(project, {**pulumi_env, **env}),
        session_factory=lambda profile, region: login.session,
    )
    run = deps.deploy or run_deploy
    result = run(request, deploy_deps, LineProgress(lambda line: ctx.echo("  " + line)))
    ctx.changes.append(f"deploy {result.tag}: {result.status}")
    return result


def _problem(check: Callable[[], None]) -> str | None:
    try:
        check()
    except ConfigError as exc:
        return exc.valid
    return None


def _current_bool(current: Mapping[str, ConfigEntry], key: str) -> bool | None:
    entry = current.get(key)
    if entry is None:
        return None
    return entry.value.strip().lower() == "true"


def _stack_answers(
    ctx: SetupContext,
    login: aws_credentials.AwsLogin,
    stack: str,
    region: str,
    current: Mapping[str, ConfigEntry],
) -> tuple[dict[str, Desired], DomainPlan, bool]:
    """Ask the stack questions; returns desired config, the domain plan, external database."""

    def existing(key: str) -> str | None:
        entry = current.get(key)
        return entry.value if entry is not None else None

    def explicit(key: str) -> bool:
        return ctx.answers.get(key) is not None or ctx.interactive

    desired: dict[str, Desired] = {
        "aws:region": Desired(region, explicit=explicit("region")),
    }
    preset = ctx.text(
        "preset",
        "Sizing preset",
        default="prod" if stack == "prod" else "dev",
        existing=existing("proliferate:profile"),
    )
    for key, value in preset_values(preset).items():
        desired[key] = Desired(value, explicit=key == "proliferate:profile" and explicit("preset"))
    rds_default = _current_bool(current, "proliferate:enableRds")
    enable_rds = ctx.flag(
        "enable_rds",
        "Create RDS PostgreSQL (no: bring your own DATABASE_URL)?",
        default=True if rds_default is None else rds_default,
    )
    desired["proliferate:enableRds"] = Desired(
        _bool_text(enable_rds), explicit=explicit("enable_rds")
    )

    plan = _domain_step(ctx, login, region, current, desired, explicit)
    for key, answer in ctx.answers.config_overrides().items():
        secret = any(k.full_key == key and k.secret for k in CONFIG_KEYS)
        desired[key] = Desired(str(answer.value), secret=secret, explicit=True)
    return desired, plan, not enable_rds


def _domain_step(
    ctx: SetupContext,
    login: aws_credentials.AwsLogin,
    region: str,
    current: Mapping[str, ConfigEntry],
    desired: dict[str, Desired],
    explicit: Callable[[str], bool],
) -> DomainPlan:
    """Domain and TLS: none, managed by the stack (Route53 + ACM) or an existing certificate."""
    ctx.echo("Domain and TLS")
    existing_domain = current.get("proliferate:domainName")
    domain = ctx.text(
        "domain_name",
        "Custom domain (e.g. app.example.com; empty: none)",
        existing=existing_domain.value if existing_domain else None,
        required=False,
        validate=lambda v: (
            _problem(lambda: validate_domain_name(v, key="domain_name")) if v else None
        ),
    ).lower()
    manage = _current_bool(current, "proliferate:manageDns")
    has_cert = "proliferate:certificateArn" in current
    tls_default = "none" if not domain else ("existing" if has_cert and not manage else "managed")
    tls = ctx.text("tls", "TLS for the domain", default=tls_default)
    if not domain:
        if tls != "none":
            raise ConfigError("tls", tls, "none without a --domain-name")
        desired["proliferate:enableHttps"] = Desired("false", explicit=explicit("tls"))
        if existing_domain is not None:
            ctx.echo(
                "  note: proliferate:domainName is set; remove it with "
                "`pulumi config rm proliferate:domainName` to drop the domain"
            )
        return DomainPlan()
    sure = explicit("domain_name") or existing_domain is None
    desired["proliferate:domainName"] = Desired(domain, explicit=sure)
    if tls == "managed":
        return _managed_tls(ctx, login, domain, current, desired, explicit)
    if tls == "existing":
        plan = _existing_certificate(ctx, login, region, domain, current, desired)
        desired["proliferate:enableHttps"] = Desired("true", explicit=explicit("tls"))
        if manage:
            desired["proliferate:manageDns"] = Desired("false", explicit=explicit("tls"))
        return plan
    desired["proliferate:enableHttps"] = Desired("false", explicit=explicit("tls"))
    return DomainPlan(domain=domain, tls="none")


def _managed_tls(
    ctx: SetupContext,
    login: aws_credentials.AwsLogin,
    domain: str,
    current: Mapping[str, ConfigEntry],
    desired: dict[str, Desired],
    explicit: Callable[[str], bool],
) -> DomainPlan:
    """TLS and DNS managed by the stack: in the answered, configured or found Route53 zone
    (none found: the stack creates one)."""
    zone_answer = ctx.answers.get("hosted_zone_id")
    zone_id: str | None = str(zone_answer.value) if zone_answer else None
    if zone_id is None and "proliferate:hostedZoneId" in current:
        zone_id = current["proliferate:hostedZoneId"].value
    if zone_id is None:
        zone = find_hosted_zone(login.client("route53"), domain)
        if zone is not None:
            ctx.echo(f"  using Route53 zone {zone.name} ({zone.zone_id})")
            zone_id = zone.zone_id
        else:
            ctx.echo(f"  no Route53 zone for {domain}: the stack creates one (delegate it)")
    desired["proliferate:manageDns"] = Desired("true", explicit=explicit("tls"))
    desired["proliferate:enableHttps"] = Desired("true", explicit=explicit("tls"))
    if zone_id:
        desired["proliferate:hostedZoneId"] = Desired(zone_id, explicit=zone_answer is not None)
    return DomainPlan(domain=domain, tls="managed", hosted_zone_id=zone_id)


def _existing_certificate(
    ctx: SetupContext,
    login: aws_credentials.AwsLogin,
    region: str,
    domain: str,
    current: Mapping[str, ConfigEntry],
    desired: dict[str, Desired],
) -> DomainPlan:
    """An existing ACM certificate: ask for its ARN, show how to validate it for the hosts."""
    entry = current.get("proliferate:certificateArn")
    arn = ctx.text(
        "certificate_arn",
        f"ACM certificate ARN (in {region}) covering {domain}",
        existing=entry.value if entry else None,
        secret=False,
        validate=lambda v: _problem(
            lambda: validate_certificate_arn(v, key="certificate_arn", region=region)
        ),
    )
    validate_certificate_arn(arn, key="certificate_arn", region=region)
    info = describe_certificate(login.client("acm"), arn)
    hosts = [domain, f"gateway.{domain}", f"llm.{domain}"]
    steps = validation_steps(info, hosts)
    for line in steps:
        ctx.echo(f"  {line}")
    desired["proliferate:certificateArn"] = Desired(arn, secret=True, explicit=True)
    return DomainPlan(domain=domain, tls="existing", validation_steps=tuple(steps))


def _derived_values(
    login: aws_credentials.AwsLogin,
    region: str,
    plan: DomainPlan,
    desired: Mapping[str, Desired],
) -> dict[str, str]:
    """Values known from the answers and AWS (spec step 7.3)."""
    derived = {"AWS_REGION": region, "S3_REGION": region}
    if plan.domain:
        derived["DOMAIN_NAME"] = plan.domain
    cert = desired.get("proliferate:certificateArn")
    if cert is not None:
        derived["ACM_CERTIFICATE_ARN"] = cert.value
    creds = login.credentials
    if creds.access_key_id and creds.secret_access_key:
        derived["AWS_ACCESS_KEY_ID"] = creds.access_key_id
        derived["AWS_SECRET_ACCESS_KEY"] = creds.secret_access_key
    return derived


def _output_derived(outputs: Mapping[str, OutputEntry]) -> dict[str, str]:
    app = outputs.get("appUrl")
    if app is None or not app.value:
        return {}
    return {"NEXT_PUBLIC_API_URL": str(app.value)}


def _env_config(
    ctx: SetupContext,
    values: Mapping[str, Resolved],
    current: Mapping[str, ConfigEntry],
    *,
    fresh_stack: bool,
) -> dict[str, Desired]:
    """The ``proliferate:<NAME>`` config the services need, from the resolved values.

    Secret values go as secrets; plain values only when they differ from the schema default
    (or are set already). Generated secrets are pushed on a stack that was never deployed, or
    when they came from the env file/an answer; on a deployed stack without them in config
    the stack's own random values are live and are left alone (a warning says so).
    """
    out: dict[str, Desired] = {}
    for name, resolved in values.items():
        var = env_var(name)
        if resolved.value is None or var.pulumi_config or not var.services:
            continue
        if var.source in (Source.DERIVED, Source.STACK_OUTPUT) and name != "DATABASE_URL":
            continue
        key = config_key(name)
        if var.source is Source.GENERATED:
            if key not in current and not fresh_stack and resolved.source == "generated":
                ctx.echo(
                    f"  warning: {name} is generated by the deployed stack and not in its "
                    f"config; the new value in the env file differs from the services' value "
                    f"(set it with `pulumi config set --secret {key}` to align them)"
                )
                continue
            out[key] = Desired(resolved.value, secret=True)
        elif var.secret:
            out[key] = Desired(resolved.value, secret=True)
        elif resolved.value != (var.default or "") or key in current:
            out[key] = Desired(resolved.value, secret=False)
    return out


def _migrate(
    ctx: SetupContext,
    login: aws_credentials.AwsLogin,
    outputs: Mapping[str, OutputEntry],
    deps: SetupDeps,
) -> MigrationResult:
    target = target_from_outputs(outputs)
    ctx.echo("Migrations")
    if deps.sleep is not None:
        result = run_migrations(
            login.client("ecs"),
            login.client("logs"),
            target,
            echo=ctx.echo,
            poll_seconds=deps.migration_poll_seconds,
            sleep=deps.sleep,
        )
    else:
        result = run_migrations(
            login.client("ecs"),
            login.client("logs"),
            target,
            echo=ctx.echo,
            poll_seconds=deps.migration_poll_seconds,
        )
    for line in result.log_tail:
        ctx.echo(f"    | {line}")
    ctx.changes.append(f"ran the migration task {result.task_arn}")
    if not result.succeeded:
        raise SetupError(
            f"the migration task {result.task_arn} failed with exit code {result.exit_code} "
            f"({result.stopped_reason}); see its log above",
            step="migrations",
        )
    ctx.echo(f"  migrations finished (exit code {result.exit_code})")
    return result


def _write_env(
    ctx: SetupContext,
    env_file: Path,
    example_path: Path | None,
    values: Mapping[str, Resolved],
    existing: Mapping[str, str],
) -> tuple[bool, Path | None]:
    schema = {v.name: v for v in ENVIRONMENT}
    order = ordered_names(schema, example_order(example_path))
    lines = [
        EnvLine(
            name=name,
            value=values[name].value if name in values else None,
            group=schema[name].group,
            note=values[name].note if name in values else schema[name].when_missing,
        )
        for name in order
    ]
    extra = {k: v for k, v in existing.items() if k not in schema}
    text = render_env_file(lines, extra=extra)
    if env_file.exists():
        old = env_file.read_text(encoding="utf-8")
        if old == text:
            if (env_file.stat().st_mode & 0o777) != FILE_MODE and not ctx.dry_run:
                env_file.chmod(FILE_MODE)
            ctx.echo(f"  {env_file} is up to date")
            return False, None
        changed = sorted(
            name
            for name in set(existing) | {k for k, r in values.items() if r.value}
            if existing.get(name) != (values[name].value if name in values else existing.get(name))
        )
        summary = ", ".join(changed[:10]) + (" ..." if len(changed) > 10 else "") or "layout"
        if not ctx.confirm_change(str(env_file), f"{len(existing)} keys", f"changes to {summary}"):
            ctx.echo(f"  {env_file} left unchanged")
            return False, None
    result = ctx.mutate(f"write {env_file} (mode 0600)", lambda: write_env_file(env_file, text))
    return True, result
