"""``proliferate-infra policy-pack``: use the bundled CrossGuard policy pack from a pip install.

``policy-pack path`` prints the directory of the pack inside the installed package, for
``pulumi preview --policy-pack "$(proliferate-infra policy-pack path)"`` from the virtualenv
the package is installed in. ``policy-pack write DIR`` writes a self-contained pack directory
(``PulumiPolicy.yaml``, ``__main__.py``, ``requirements.txt`` pinned to this version) for CI or
for a pack that runs in its own virtualenv.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
from pathlib import Path

from .._version import __version__
from ..errors import ConfigError, ProliferateError

PACKAGE_NAME = "proliferate-components"
"""The distribution name the written ``requirements.txt`` pins."""

_SKIPPED_NAMES = frozenset({"__pycache__", "venv", ".venv", "requirements.txt"})


class PolicyPackMissingError(ProliferateError, RuntimeError):
    """The installed package has no bundled policy pack (a broken or partial install)."""


def bundled_pack_dir() -> Path:
    """Return the bundled pack directory (``analyzer.BUNDLED_PACK_DIR``), checked to exist.

    Raises ``PolicyPackMissingError`` if the installation does not contain it.
    """
    try:
        analyzer = importlib.import_module("proliferate_components.analyzer")
    except ModuleNotFoundError as exc:
        raise PolicyPackMissingError(
            "this installation of proliferate-components has no policy pack "
            "(module proliferate_components.analyzer is missing); reinstall the package"
        ) from exc
    pack_dir = Path(analyzer.BUNDLED_PACK_DIR)
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise PolicyPackMissingError(
            f"the bundled policy pack is missing or incomplete at {pack_dir} "
            "(no PulumiPolicy.yaml); reinstall the package"
        )
    return pack_dir


def pack_requirements(version: str = __version__) -> str:
    """Return the ``requirements.txt`` of a written pack: this package pinned to ``version``."""
    return (
        "# Requirements of the proliferate-components policy pack "
        "(written by `proliferate-infra policy-pack write`).\n"
        f"{PACKAGE_NAME}=={version}\n"
    )


def write_pack(dest: Path, *, force: bool = False, version: str = __version__) -> list[Path]:
    """Write a ready-to-use policy pack directory at ``dest``; return the files written.

    The pack's files are copied from the bundled pack and a ``requirements.txt`` pinned to
    ``version`` is added. ``dest`` must be missing or an empty directory unless ``force`` is
    true, in which case the pack's files are overwritten and other files are left alone.
    Nothing is written when ``dest`` is refused (``ConfigError`` names the problem), and a
    ``dest`` that cannot be created or written (permissions, a read-only file system, a file
    in the way) is a ``ConfigError`` naming the path too; directories this call created are
    removed again.
    """
    source = bundled_pack_dir()
    if dest.exists() and not dest.is_dir():
        raise ConfigError("DIR", str(dest), "a directory path (this is an existing file)")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ConfigError(
            "DIR",
            str(dest),
            "a missing or empty directory; pass --force to overwrite the pack files in it",
        )
    if dest.resolve() == source.resolve():
        raise ConfigError("DIR", str(dest), "a directory other than the bundled pack itself")
    created = [p for p in (dest, *dest.parents) if not p.exists()]
    try:
        return _copy_pack(source, dest, version)
    except OSError as exc:
        for path in created:  # what this call created goes again: nothing half-written stays
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(dest) else ""
        raise ConfigError(
            "DIR",
            str(dest),
            f"a directory this user can create and write: {exc.strerror or exc}{where}",
        ) from None


def _copy_pack(source: Path, dest: Path, version: str) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for item in sorted(source.iterdir()):
        if item.name in _SKIPPED_NAMES or item.name.startswith("."):
            continue
        target = dest / item.name
        if item.is_dir():
            shutil.copytree(
                item,
                target,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        else:
            shutil.copyfile(item, target)
        written.append(target)
    requirements = dest / "requirements.txt"
    requirements.write_text(pack_requirements(version), encoding="utf-8")
    written.append(requirements)
    return written


def _path(_args: argparse.Namespace) -> int:
    print(bundled_pack_dir())
    return 0


def _write(args: argparse.Namespace) -> int:
    dest = Path(args.dir)
    written = write_pack(dest, force=bool(args.force))
    print(f"wrote the proliferate-components {__version__} policy pack to {dest}:")
    for path in written:
        print(f"  {path}")
    print(
        f"next: pip install -r {dest / 'requirements.txt'} && pulumi preview --policy-pack {dest}"
    )
    return 0


def _config(args: argparse.Namespace) -> int:
    import json

    from ..policies.profiles import policy_config_for

    print(json.dumps(policy_config_for(args.profile), indent=2, sort_keys=True))
    return 0


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],  # pyright: ignore[reportPrivateUsage]
) -> argparse.ArgumentParser:
    """Add the ``policy-pack`` subcommand (``path``, ``write`` and ``config``) to ``subparsers``."""
    parser = subparsers.add_parser(
        "policy-pack",
        help="locate or write the bundled CrossGuard policy pack",
        description=(
            "Use the bundled policy pack with `pulumi preview --policy-pack DIR`: `path` prints "
            "the installed pack directory, `write DIR` writes a ready pack directory with a "
            "requirements.txt pinned to this version."
        ),
    )
    actions = parser.add_subparsers(dest="policy_pack_command", metavar="ACTION")
    path_parser = actions.add_parser(
        "path",
        help="print the installed pack directory",
        description=(
            "Print the directory of the policy pack inside the installed package, for "
            '`pulumi preview --policy-pack "$(proliferate-infra policy-pack path)"` run from '
            "the virtualenv the package is installed in."
        ),
    )
    path_parser.set_defaults(handler=_path)
    write_parser = actions.add_parser(
        "write",
        help="write a ready pack directory (PulumiPolicy.yaml, __main__.py, requirements)",
        description=(
            "Write a self-contained policy pack directory: the bundled PulumiPolicy.yaml and "
            "__main__.py plus a requirements.txt pinning this version of proliferate-components. "
            "Refuses a non-empty DIR unless --force is given. Exit codes: 0 written; 2 DIR "
            "refused or not writable (the error names the path; nothing half-written is left)."
        ),
    )
    write_parser.add_argument("dir", metavar="DIR", help="directory to create (missing or empty)")
    write_parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite the pack files in a non-empty DIR (other files are kept)",
    )
    write_parser.set_defaults(handler=_write)
    config_parser = actions.add_parser(
        "config",
        help="print the --policy-pack-config of a profile (prod: the hardening is mandatory)",
        description=(
            "Print the policy configuration of a stack profile as JSON, for `pulumi preview "
            "--policy-pack-config FILE`: with `prod`, the production hardening rules (KMS keys, "
            "access logs, RDS monitoring, read-only filesystems, 365 days of logs) are mandatory; "
            "with `dev`, the pack's defaults (advisory)."
        ),
    )
    config_parser.add_argument(
        "--profile", choices=("dev", "prod"), default="prod", help="stack profile (default prod)"
    )
    config_parser.set_defaults(handler=_config)

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(handler=usage)
    return parser
