"""``proliferate-infra migrate terraform --state FILE``: plan the adoption of a Terraform deployment.

Reads a Terraform state (format version 4: ``terraform state pull > terraform.tfstate``),
maps each resource to the ``ProliferateStack`` child that takes it over, and writes into
``--out``:

- ``import.json``: for ``pulumi import --file import.json --generate-code=false`` (names,
  parents and ids exactly as ``ProliferateStack`` registers them);
- ``config.json`` and ``config.sh``: the ``pulumi config set`` values that make the
  components' inputs equal to the existing resources;
- ``terraform-state-rm.sh``: the ``terraform state rm`` lines for the adopted resources;
- ``report.md`` and ``report.json``: per resource, adopted as is / with a config change /
  cannot be adopted safely (with the safe path) / not adopted, and every differing property.

Nothing touches AWS, Terraform or Pulumi. See docs/migrating-from-terraform.md.

Exit codes: 0 every recognised resource can be adopted or needs no adoption; 1 the files were
written but some resources cannot be adopted safely (see the report); 2 invalid input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_ERROR",
    "EXIT_OK",
    "register",
    "run_resolve_rules",
    "run_terraform",
]

EXIT_OK = 0
"""Everything recognised can be adopted (or needs no adoption)."""
EXIT_BLOCKED = 1
"""Files written; at least one resource cannot be adopted safely."""
EXIT_ERROR = 2
"""Invalid input (state file, names)."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``migrate`` subcommand (with its ``terraform`` action) to ``proliferate-infra``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "migrate",
        help="adopt an existing deployment (from Terraform) into the Pulumi components",
        description="Adopt an existing deployment into the Pulumi components.",
    )
    actions = parser.add_subparsers(dest="migrate_source", metavar="SOURCE")
    tf: argparse.ArgumentParser = actions.add_parser(
        "terraform",
        help="plan the adoption of a Terraform state",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tf.add_argument("--state", required=True, metavar="FILE", help="Terraform state v4 JSON file")
    tf.add_argument(
        "--out",
        default="migration",
        metavar="DIR",
        help="directory for the generated files (default: ./migration)",
    )
    tf.add_argument(
        "--stack",
        default="dev",
        metavar="NAME",
        help="Pulumi stack that will adopt the resources (default: dev); physical names such "
        "as the Redis group id depend on it",
    )
    tf.add_argument(
        "--component-name",
        default="proliferate",
        metavar="NAME",
        help="name of the ProliferateStack component in the program (default: proliferate, as "
        "in the bundled example)",
    )
    tf.add_argument(
        "--json", action="store_true", help="print report.json to stdout instead of the summary"
    )
    tf.set_defaults(handler=run_terraform)
    rules: argparse.ArgumentParser = actions.add_parser(
        "resolve-rules",
        help="fill in the ids of security group rules the Terraform state does not hold",
        description="Replace each `unresolved:` id in <out>/import.json (an inline security "
        "group rule, or a rule from an old provider) with the id EC2 gives that rule "
        "(read-only DescribeSecurityGroupRules, default AWS credentials).",
    )
    rules.add_argument(
        "--out", default="migration", metavar="DIR", help="the directory `migrate terraform` wrote"
    )
    rules.add_argument("--region", default=None, help="AWS region (default: the profile's)")
    rules.add_argument("--profile", default=None, help="AWS profile (default: the default)")
    rules.set_defaults(handler=run_resolve_rules)

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_ERROR

    parser.set_defaults(handler=usage)
    return parser


def run_terraform(args: argparse.Namespace) -> int:
    """Handler of ``migrate terraform``: validate, plan, write the files, print a summary."""
    import json

    from ..errors import ConfigError
    from ..migrate import load_state, plan_migration, plan_to_json, write_outputs
    from ..migrate.plan import Status
    from ..migrate.redact import redact_text
    from ..migrate.report import state_secrets, summary_lines

    try:
        state = load_state(args.state)
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise ConfigError("--out", str(out), "a directory (it is created if missing)")
        plan = plan_migration(
            state, component_name=args.component_name, stack=args.stack, project="proliferate"
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    secrets = state_secrets(plan.state)
    paths = write_outputs(plan, out, secrets=secrets)
    blocked = plan.by_status(Status.BLOCKED)
    if args.json:
        print(redact_text(json.dumps(plan_to_json(plan), indent=2, default=str), secrets))
        return EXIT_BLOCKED if blocked else EXIT_OK

    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    for i, line in enumerate(summary_lines(plan, paths, out)):
        text = escape(redact_text(line, secrets))
        console.print(f"[bold]{text}[/]" if i == 0 else text)
    if blocked:
        console.print(
            f"[red]{len(blocked)} resources cannot be adopted safely[/]: read the safe paths in "
            f"{escape(str(out / 'report.md'))}"
        )
        return EXIT_BLOCKED
    return EXIT_OK


def run_resolve_rules(args: argparse.Namespace) -> int:
    """Handler of ``migrate resolve-rules``: exit 0 when every placeholder id was replaced,
    1 when some rule was not found (listed), 2 on bad input."""
    from ..errors import ConfigError
    from ..migrate.ruleids import resolve_rule_ids

    try:
        result = resolve_rule_ids(args.out, region=args.region, profile=args.profile)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"resolved {result.resolved} security group rule ids in {Path(args.out) / 'import.json'}")
    if result.unresolved:
        print(f"{len(result.unresolved)} rules were not found in AWS:", file=sys.stderr)
        for text in result.unresolved:
            print(f"  - {text}", file=sys.stderr)
        return EXIT_BLOCKED
    return EXIT_OK
