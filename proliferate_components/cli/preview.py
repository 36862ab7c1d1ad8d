"""``proliferate-infra preview --offline [PROJECT_DIR]``: check a stack with no cloud account.

Runs the project's Python program under Pulumi mocks (realistic ids, ARNs and endpoints;
no network), records every resource with its options, runs a CrossGuard policy pack over
them through the Analyzer gRPC protocol exactly as ``pulumi preview --policy-pack`` does,
and prints a resource tree, the policy report and a summary.

Config precedence (later wins): ``Pulumi.yaml`` defaults and values, ``Pulumi.<stack>.yaml``
plain values, ``--preset``, then ``--config``/``--secret``.

Exit codes: 0 no mandatory violation; 1 at least one mandatory violation; 2 invalid
input (``Pulumi.yaml``, config, options), a program error, an invoke with no offline
answer, or a policy pack that could not run; 124 the preview did not finish within
``--timeout`` seconds (default 300).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ProliferateError
from ..preview.timeout import DEFAULT_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from ..cost.preview import CostOutcome, CostRequest
    from ..preview.pack_pool import PackPool
    from ..preview.runner import PreviewResult

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_VIOLATIONS",
    "parse_assignments",
    "register",
    "run",
]

EXIT_OK = 0
"""No mandatory violation."""
EXIT_VIOLATIONS = 1
"""At least one mandatory policy violation."""
EXIT_ERROR = 2
"""Invalid input, program error, unanswered invoke, or the policy pack could not run."""
EXIT_TIMEOUT = 124
"""The preview did not finish within ``--timeout`` seconds (124, as coreutils' ``timeout``)."""

_ONLINE_HINT = """\
proliferate-infra preview runs offline only: add --offline.
For a preview against your AWS account and Pulumi backend, run in the project directory:
    pulumi preview --policy-pack {pack}{config}
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``preview`` subcommand to ``proliferate-infra``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "preview",
        help="preview a stack offline and check it with the policy pack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_input_arguments(parser)
    _add_policy_arguments(parser)
    _add_output_arguments(parser)
    _add_cost_arguments(parser.add_argument_group("cost estimate (docs/cost.md)"))
    parser.add_argument(
        "--watch",
        action="store_true",
        help="keep running: preview again whenever a file of the project, the policy pack or "
        "local code it imports changes (Ctrl-C to stop)",
    )
    parser.set_defaults(handler=run, quick_exit=True)
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """The project, the stack and its config (``--config``, ``--secret``, ``--preset``)."""
    parser.add_argument(
        "project_dir",
        nargs="?",
        metavar="PROJECT_DIR",
        help="directory holding Pulumi.yaml (default: the bundled example, examples/proliferate)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="run under mocks, no cloud account (required for now)",
    )
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="stack name (default: the --preset's name, else dev)",
    )
    parser.add_argument(
        "--config",
        "-c",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="config value as `pulumi config set` takes it (repeatable; a key without a colon "
        "gets the project's namespace, e.g. proliferate:); wins over --preset",
    )
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="like --config but secret (`pulumi config set --secret`); never printed",
    )
    parser.add_argument(
        "--preset",
        choices=("dev", "prod"),
        help="start from the spec's dev or prod config set (explicit --config values win)",
    )


def _add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """Which policy pack runs, with which config (or none)."""
    parser.add_argument(
        "--policy-pack",
        metavar="DIR",
        help="CrossGuard policy pack directory (default: the bundled pack)",
    )
    parser.add_argument(
        "--policy-pack-config",
        metavar="FILE",
        help="JSON file of enforcement levels and properties, as for `pulumi preview --policy-pack-config`",
    )
    parser.add_argument("--no-policy", action="store_true", help="do not run any policy pack")


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """What is written and shown (``--json``, ``--diagram``, ``--verbose``), and ``--timeout``."""
    parser.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="write the resources, outputs and violations as JSON; '-' prints it on stdout "
        "(and the report on stderr), for piping",
    )
    parser.add_argument(
        "--diagram",
        metavar="FILE",
        help="write a Mermaid architecture diagram (.mmd, or .md with a mermaid block)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="stop a preview that has not finished after SECONDS (default: 300; exit code 124)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="show the resolved config and tracebacks"
    )


def _add_cost_arguments(cost: Any) -> None:
    """The cost estimate's options, in their own help section (an argparse argument group)."""
    cost.add_argument(
        "--cost",
        action="store_true",
        help="estimate the monthly AWS bill per resource, per component and in total",
    )
    cost.add_argument(
        "--usage",
        metavar="FILE",
        help="Infracost-style usage YAML overriding the documented usage defaults",
    )
    cost.add_argument(
        "--prices",
        metavar="FILE",
        help="price table JSON replacing the bundled one (same shape)",
    )
    cost.add_argument(
        "--compare-preset",
        choices=("dev", "prod"),
        help="also estimate this preset and show the change line by line",
    )
    cost.add_argument(
        "--compare-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="also estimate with this config value changed (repeatable; with or without "
        "--compare-preset) and show the change line by line",
    )
    cost.add_argument(
        "--cost-report",
        metavar="FILE",
        help="write the estimate (and comparison) as Markdown (.md)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 86400")
    return value


def parse_assignments(items: list[str], option: str) -> dict[str, str]:
    """Turn ``["key=value", ...]`` into a dict (the value may contain ``=``).

    Raises:
        ConfigError: an item without ``=`` or with an empty key (key ``option``).
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                option,
                item,
                "KEY=VALUE, e.g. proliferate:workerCpu=512",
                secret=option == "--secret",
            )
        out[key.strip()] = value
    return out


def _default_pack() -> Path:
    try:
        from ..analyzer import BUNDLED_PACK_DIR
    except ImportError as exc:
        raise ConfigError(
            "--policy-pack",
            None,
            f"a policy pack directory (the bundled pack is unavailable: {exc}); or --no-policy",
        ) from None
    return Path(BUNDLED_PACK_DIR)


def run(args: argparse.Namespace) -> int:
    """Handle ``proliferate-infra preview``; returns the exit code."""
    verbose = bool(args.verbose)
    import gc

    # Importing pulumi_aws defines thousands of classes: the cyclic GC would run hundreds of
    # times for nothing (about a quarter of the start-up). A preview is short-lived; the GC
    # is back on as soon as it ends.
    was_enabled = gc.isenabled()
    gc.disable()
    from ..preview.timeout import PreviewTimeout

    console = bool(getattr(args, "console", False))
    if args.offline:
        from ..preview import sdk_loader, timings

        # Provider SDKs load lazily, with postponed annotations, from the compiled-code
        # cache; what is not cached yet loads as usual (and is compiled after the command).
        sdk_loader.install(compile_missing=False)
        timings.start_from_env()  # PROLIFERATE_PREVIEW_TIMINGS: the benchmark's breakdown
    try:
        if args.watch and args.offline:
            from ..preview.watch import watch

            return watch(args, _run, lambda exc: _print_error(_reportable(exc), verbose))
        return _run(args)
    except PreviewTimeout as exc:
        print(
            f"error: the preview did not finish within {exc.seconds:g} s (--timeout) and was "
            "stopped: a program that waits for something (input, a network call, a loop that "
            "never ends) never finishes offline; if it is only slow, raise --timeout",
            file=sys.stderr,
        )
        return EXIT_TIMEOUT
    except ProliferateError as exc:
        _print_error(exc, verbose)
        return EXIT_ERROR
    except Exception as exc:  # a policy pack that crashed, an unwritable file...
        _print_error(_Unexpected(exc), verbose)
        return EXIT_ERROR
    finally:
        _register_exit_hooks()
        if console and args.offline:
            from ..preview import sdk_loader

            sdk_loader.fill_cache_in_background()
        if was_enabled:
            gc.enable()


def _freeze_heap() -> None:
    """Skip the interpreter's final cyclic collection over the preview's objects.

    A preview leaves a few hundred thousand objects (pulumi_aws classes, outputs); the last
    collection at exit walks them all for ~0.4 s of CPU, then the process ends anyway.
    ``gc.freeze()`` at exit moves them out of the collector's sight.
    """
    import gc

    gc.freeze()


_EXIT_HOOKS_REGISTERED: list[bool] = []


def _register_exit_hooks() -> None:
    if not _EXIT_HOOKS_REGISTERED:
        import atexit

        atexit.register(_freeze_heap)
        _EXIT_HOOKS_REGISTERED.append(True)


class _Unexpected(ProliferateError):
    """Wraps an exception that is not one of ours, for a one-line message."""

    def __init__(self, original: BaseException) -> None:
        self.original = original
        super().__init__(f"{type(original).__name__}: {original}")


def _reportable(exc: BaseException) -> BaseException:
    """``exc`` as :func:`_print_error` shows it; errors of this package stay as they are,
    even from a module ``--watch`` imported afresh (a new class of the same name)."""
    if type(exc).__module__.startswith("proliferate_components."):
        return exc
    return _Unexpected(exc)


def _print_error(exc: BaseException, verbose: bool) -> None:
    if verbose:
        import traceback

        cause = getattr(exc, "original", None)
        shown = cause if isinstance(cause, BaseException) else exc
        traceback.print_exception(type(shown), shown, shown.__traceback__, file=sys.stderr)
    print(f"error: {exc}", file=sys.stderr)
    if not verbose and not isinstance(exc, ConfigError):
        print("(run with --verbose for the traceback)", file=sys.stderr)


def _run(args: argparse.Namespace, pack_pool: PackPool | None = None) -> int:
    if not args.offline:
        return _online_hint(args)
    config = parse_assignments(list(args.config), "--config")
    secrets = parse_assignments(list(args.secret), "--secret")
    stack = args.stack or args.preset or "dev"  # --preset prod previews the stack prod
    _check_options(args)
    cost_request = _prepare_cost(args, stack, config, secrets)
    from ..preview.runner import load_policy_pack_config, run_preview

    policy_config = (
        load_policy_pack_config(args.policy_pack_config) if args.policy_pack_config else None
    )
    pack = (
        None
        if args.no_policy
        else (Path(args.policy_pack) if args.policy_pack else _default_pack())
    )
    from ..preview.timeout import deadline

    with deadline(getattr(args, "timeout", DEFAULT_TIMEOUT_SECONDS)):  # the program and the pack
        result = run_preview(
            args.project_dir,
            stack=stack,
            config=config,
            secret_config=secrets,
            preset=args.preset,
            policy_pack=pack,
            policy_config=policy_config,
            pack_pool=pack_pool,
            while_analysing=_import_report_modules,
        )

    # priced (and compared) before any file is written: an unpriced type fails first
    cost = cost_request.run(result) if cost_request is not None else None
    _write_and_report(args, result, cost)
    _finish_timings()
    return EXIT_VIOLATIONS if result.mandatory else EXIT_OK


def _online_hint(args: argparse.Namespace) -> int:
    """Without ``--offline``: say how to run the same preview with the Pulumi CLI."""
    pack = args.policy_pack or _pack_hint()
    extra = f" --policy-pack-config {args.policy_pack_config}" if args.policy_pack_config else ""
    sys.stderr.write(_ONLINE_HINT.format(pack=pack, config=extra))
    return EXIT_ERROR


def _check_options(args: argparse.Namespace) -> None:
    """Options that do not go together, or a diagram file of an unknown kind."""
    if args.no_policy and (args.policy_pack or args.policy_pack_config):
        raise ConfigError(
            "--no-policy", True, "not together with --policy-pack or --policy-pack-config"
        )
    if args.diagram and Path(args.diagram).suffix not in (".mmd", ".md"):
        raise ConfigError(
            "--diagram", args.diagram, "a file ending in .mmd (Mermaid) or .md (Markdown)"
        )


def _prepare_cost(
    args: argparse.Namespace, stack: str, config: dict[str, str], secrets: dict[str, str]
) -> CostRequest | None:
    """The cost estimate asked for, with every input (files, region, priced types) checked
    before the program runs; ``None`` when no cost option was given."""
    cost_options = (args.usage, args.prices, args.compare_preset, args.cost_report)
    if not (args.cost or args.compare_config or any(o is not None for o in cost_options)):
        return None
    from ..cost.preview import prepare_cost

    return prepare_cost(
        args.project_dir,
        cost=bool(args.cost),
        stack=stack,
        config=config,
        secret_config=secrets,
        preset=args.preset,
        prices_file=args.prices,
        usage_file=args.usage,
        compare_preset=args.compare_preset,
        compare_config=parse_assignments(list(args.compare_config), "--compare-config"),
        report_file=args.cost_report,
    )


def _write_and_report(
    args: argparse.Namespace, result: PreviewResult, cost: CostOutcome | None
) -> None:
    """Write the ``--json``, ``--diagram`` and ``--cost-report`` files, then print the report
    and the files written (on stderr with ``--json -``, where stdout carries the JSON alone)."""
    from ..preview.export import redactor_for, write_json
    from ..preview.report import print_report

    redactor = redactor_for(result)
    if args.json_file:
        write_json(result, args.json_file, redactor, cost=cost.to_dict() if cost else None)
    if args.diagram:
        from ..preview.diagram import write_diagram

        write_diagram(result.capture.resources, args.diagram)
    if cost is not None and args.cost_report:
        from ..cost.render import markdown_report

        report = Path(args.cost_report)
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(markdown_report(cost.estimate, cost.comparison), encoding="utf-8")
    # With --json -, stdout carries the JSON document alone; everything for humans goes to stderr.
    human = sys.stderr if args.json_file == "-" else sys.stdout
    print_report(result, file=human, verbose=bool(args.verbose), redactor=redactor, cost=cost)
    if args.json_file and args.json_file != "-":
        print(f"wrote {args.json_file}", file=human)
    if args.diagram:
        print(f"wrote {args.diagram}", file=human)
    if cost is not None and args.cost_report:
        print(f"wrote {args.cost_report}", file=human)


def _import_report_modules() -> None:
    """Import what the report uses while the pack finishes its analysis."""
    from ..preview import report

    report.preload()


def _finish_timings() -> None:
    from ..preview import timings

    clock = timings.clock()
    if clock is not None:
        sys.stdout.flush()
        clock.mark("report_end")
        clock.write()


def _pack_hint() -> str:
    try:
        return str(_default_pack())
    except ConfigError:
        return "policies"
