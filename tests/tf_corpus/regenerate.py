"""Regenerate the corpus states: real Terraform applies each configuration against moto_server.

Usage (from the repository root)::

    python tests/tf_corpus/regenerate.py            # every corpus folder
    python tests/tf_corpus/regenerate.py rds        # one
    PROLIFERATE_UPSTREAM_TF=<checkout of proliferate-ai/proliferate>/infra/terraform \
        python tests/tf_corpus/regenerate.py upstream

Each folder of ``tests/tf_corpus/`` holding ``*.tf`` files or a ``source.json`` is a corpus
entry. ``source.json`` names a configuration this repository does not hold: upstream's
``infra/terraform`` (proliferate-ai/proliferate), whose code is never committed here. It lists
each file by path, commit and SHA-256; the files are read from a checkout of upstream named by
the environment variable the file gives (``PROLIFERATE_UPSTREAM_TF=<checkout>/infra/terraform``)
and must be exactly those versions. For each entry, this script starts its own
``moto_server`` on a free port of 127.0.0.1, copies the configuration into a scratch directory
together with

- ``zz_moto_provider_override.tf`` (written here): a local backend and the provider pointed
  at moto (``endpoints``, fake keys, ``skip_credentials_validation``,
  ``skip_requesting_account_id``, ``skip_metadata_api_check``, ``s3_use_path_style``);
- the folder's ``moto/*.tf`` override files: the workarounds for what moto cannot apply,
  each explained where it is written (README.md of the folder lists them);
- with ``moto/replace.json`` (``{"expressions": {"<expression>": "<replacement>"}}``), each
  expression replaced in the copied configuration (an expression moto cannot evaluate, such
  as a cache node's address moto does not return; every one must occur);

runs ``terraform init`` and ``terraform apply`` (Terraform >= 1.5 with hashicorp/aws 5.x from a
filesystem mirror: ``TF_CLI_CONFIG_FILE`` when it names an existing file, else a mirror
directory from ``TF_PLUGIN_MIRROR`` or ``/opt/tf-plugins``), then applies the folder's
``moto/state_only.json`` (resources and attributes moto cannot produce, written into the
state with the values the provider stores against AWS) and writes ``terraform.tfstate``
into the folder.

``moto/vars.json`` gives Terraform variables; a value ``"acm-certificate:<domain>"`` is
replaced by the ARN of a certificate requested from moto first. ``moto/prepare.json`` lists
boto3 calls made against moto before the apply (``[{"service": ..., "method": ...,
"args": {...}}]``), for objects moto does not create by itself (the member clusters of a
replication group).

Nothing here is imported by the package; ``tests/test_migrate_corpus.py`` uses
:func:`tooling`, :class:`MotoServer`, :func:`missing_source` and :func:`apply_corpus` for its
slow re-apply test.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent
MIRROR_DEFAULT = Path("/opt/tf-plugins")
ENDPOINTS = (
    "acm",
    "applicationautoscaling",
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "ecr",
    "ecs",
    "elasticache",
    "elb",
    "elbv2",
    "iam",
    "kms",
    "rds",
    "s3",
    "secretsmanager",
    "ssm",
    "sts",
)
FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def corpus_names() -> list[str]:
    """The corpus folders (those holding ``*.tf`` files or a ``source.json``), sorted."""
    return sorted(
        p.name
        for p in CORPUS.iterdir()
        if p.is_dir() and (any(p.glob("*.tf")) or (p / "source.json").is_file())
    )


class SourceMissing(RuntimeError):
    """A configuration kept outside this repository is not available as ``source.json``
    describes it (the message says what to set)."""


def _source(folder: Path) -> dict[str, Any] | None:
    path = folder / "source.json"
    if not path.is_file():
        return None
    source: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return source


def missing_source(name: str) -> str | None:
    """Why corpus ``name``'s configuration cannot be read from outside this repository (its
    environment variable unset), or ``None`` when it can or lives in the folder."""
    source = _source(CORPUS / name)
    if source is None:
        return None
    variable = str(source["environment"])
    if not os.environ.get(variable):
        return (
            f"{variable} is not set: point it at {source['directory']} of a checkout of "
            f"{source['repository']} (the files of {name}/source.json, at their commits)"
        )
    return None


def configuration(name: str) -> dict[str, Path]:
    """The ``*.tf`` files Terraform applies for corpus ``name``, by file name: the folder's
    own, or those ``source.json`` names, read from the checkout its environment variable
    gives and checked against their recorded SHA-256.

    Raises:
        SourceMissing: the variable is unset, or a file is absent or another version.
    """
    folder = CORPUS / name
    source = _source(folder)
    if source is None:
        return {tf.name: tf for tf in sorted(folder.glob("*.tf"))}
    problem = missing_source(name)
    if problem is not None:
        raise SourceMissing(problem)
    variable = str(source["environment"])
    root = Path(os.environ[variable]).expanduser()
    files: dict[str, Path] = {}
    for file_name, version in source["files"].items():
        path = root / file_name
        if not path.is_file():
            raise SourceMissing(
                f"{variable}={root}: no {file_name} there ({source['repository']} "
                f"{source['directory']}/{file_name} at commit {version['commit']})"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != version["sha256"]:
            raise SourceMissing(
                f"{variable}={root}: {file_name} is not the version the state was recorded "
                f"from ({source['directory']}/{file_name} at commit {version['commit']}, "
                f"sha256 {version['sha256']}; found {digest})"
            )
        files[file_name] = path
    return files


def _replace_expressions(folder: Path, work: Path) -> None:
    path = folder / "moto" / "replace.json"
    if not path.is_file():
        return
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for expression, replacement in spec["expressions"].items():
        found = False
        for tf in sorted(work.glob("*.tf")):
            text = tf.read_text(encoding="utf-8")
            if expression in text:
                tf.write_text(text.replace(expression, replacement), encoding="utf-8")
                found = True
        if not found:
            raise RuntimeError(f"{path}: {expression!r} occurs in no file of the configuration")


@dataclass(frozen=True)
class Tooling:
    """Where Terraform and its provider mirror are."""

    terraform: str
    """The ``terraform`` binary."""
    cli_config: Path
    """A CLI config whose ``provider_installation`` uses the filesystem mirror."""


def _mirror_has_aws(mirror: Path) -> bool:
    return any((mirror / "registry.terraform.io" / "hashicorp" / "aws").glob("5.*"))


def tooling(scratch: Path) -> Tooling | None:
    """Terraform and an offline provider mirror with hashicorp/aws 5.x, or ``None`` when
    either is absent (a CLI config is written into ``scratch`` if needed)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        return None
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    if configured and Path(configured).is_file():
        text = Path(configured).read_text(encoding="utf-8")
        match = re.search(r'filesystem_mirror\s*{[^}]*path\s*=\s*"([^"]+)"', text)
        if match and _mirror_has_aws(Path(match.group(1))):
            return Tooling(terraform, Path(configured))
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", str(MIRROR_DEFAULT)))
    if not _mirror_has_aws(mirror):
        return None
    config = scratch / "terraformrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/*/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n',
        encoding="utf-8",
    )
    return Tooling(terraform, config)


def moto_server_available() -> bool:
    """Whether ``moto_server`` (``moto[server]``) can be started."""
    if shutil.which("moto_server") or (Path(sys.executable).parent / "moto_server").exists():
        try:
            import flask  # noqa: F401  # moto[server] needs it
        except ImportError:
            return False
        return True
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer:
    """``moto_server`` on a free port of 127.0.0.1 (AWS managed IAM policies loaded), for
    the duration of a ``with`` block; stopped by its own process id."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
        self._process = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(self.port)],
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"moto_server did not start on {self.url}")

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def _provider_override(url: str) -> str:
    endpoints = "\n".join(f'    {name:<22} = "{url}"' for name in ENDPOINTS)
    return (
        "# Written by tests/tf_corpus/regenerate.py: local state, provider pointed at moto.\n"
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        '  access_key                  = "testing"\n'
        '  secret_key                  = "testing"\n'
        "  skip_credentials_validation = true\n"
        "  skip_requesting_account_id  = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n\n"
        f"  endpoints {{\n{endpoints}\n  }}\n}}\n"
    )


def _variables(folder: Path, url: str) -> dict[str, str]:
    path = folder / "moto" / "vars.json"
    if not path.is_file():
        return {}
    raw: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key, value in raw.items():
        if value.startswith("acm-certificate:"):
            import boto3

            client = boto3.client("acm", region_name="us-east-1", endpoint_url=url, **_boto_keys())
            value = client.request_certificate(DomainName=value.split(":", 1)[1])["CertificateArn"]
        out[key] = value
    return out


def _prepare(folder: Path, url: str) -> None:
    path = folder / "moto" / "prepare.json"
    if not path.is_file():
        return
    import boto3

    for call in json.loads(path.read_text(encoding="utf-8")):
        client = boto3.client(
            call["service"], region_name="us-east-1", endpoint_url=url, **_boto_keys()
        )
        getattr(client, call["method"])(**call.get("args", {}))


def _boto_keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _instances_by_address(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for res in state.get("resources", []):
        if res.get("mode") != "managed":
            continue
        prefix = f"{res['module']}." if res.get("module") else ""
        base = f"{prefix}{res['type']}.{res['name']}"
        for inst in res.get("instances", []):
            key = inst.get("index_key")
            address = (
                base
                if key is None
                else f"{base}[{key}]"
                if isinstance(key, int)
                else f'{base}["{key}"]'
            )
            out[address] = inst["attributes"]
    return out


def _account(state: Mapping[str, Any]) -> str:
    text = json.dumps(state)
    match = re.search(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):", text)
    return match.group(1) if match else "123456789012"


def _resolve(value: Any, state: Mapping[str, Any], by_address: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _resolve(v, state, by_address) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, state, by_address) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref == "account":
            return _account(state)
        address, _, attribute = ref.rpartition(".")
        return str(by_address[address][attribute])

    return re.sub(r"\$\{([^}]+)\}", one, value)


def apply_state_only(folder: Path, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with the folder's ``moto/state_only.json`` applied (``add``: resource
    objects appended; ``set``: attributes set on instances by address; ``${account}`` and
    ``${<address>.<attribute>}`` resolved from the state)."""
    path = folder / "moto" / "state_only.json"
    if not path.is_file():
        return state
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    by_address = _instances_by_address(state)
    for address, attributes in spec.get("set", {}).items():
        by_address[address].update(_resolve(attributes, state, by_address))
    for resource in spec.get("add", []):
        state["resources"].append(_resolve(resource, state, by_address))
    return state


def apply_corpus(name: str, tools: Tooling, url: str, scratch: Path) -> dict[str, Any]:
    """Apply corpus folder ``name`` against moto at ``url`` in ``scratch`` (a fresh
    directory) and return the state Terraform wrote, with ``state_only.json`` applied."""
    folder = CORPUS / name
    files = configuration(name)
    work = scratch / name
    work.mkdir(parents=True)
    for file_name, tf in files.items():
        shutil.copy(tf, work / file_name)
    modules = folder / "modules"
    if modules.is_dir():
        shutil.copytree(modules, work / "modules")
    _replace_expressions(folder, work)
    for tf in (folder / "moto").glob("*.tf"):
        shutil.copy(tf, work / f"zz_moto_{tf.stem}_override.tf")
    (work / "zz_moto_provider_override.tf").write_text(_provider_override(url), encoding="utf-8")
    env = {
        **os.environ,
        **FAKE_KEYS,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TF_CLI_CONFIG_FILE": str(tools.cli_config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
    }
    variables = [f"-var={k}={v}" for k, v in _variables(folder, url).items()]
    _prepare(folder, url)
    for args in (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=4", *variables],
    ):
        done = subprocess.run(
            [tools.terraform, *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"terraform {args[0]} failed for {name}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
    state: dict[str, Any] = json.loads((work / "terraform.tfstate").read_text(encoding="utf-8"))
    return apply_state_only(folder, state)


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tf-corpus-") as tmp:
        yield Path(tmp)


def main(argv: list[str]) -> int:
    names = argv or corpus_names()
    skipped = 0
    with _scratch() as scratch:
        tools = tooling(scratch)
        if tools is None:
            print(
                "terraform or a provider mirror with hashicorp/aws 5.x is missing", file=sys.stderr
            )
            return 2
        for name in names:
            problem = missing_source(name)
            if problem is not None:
                print(f"{name}: not regenerated: {problem}", file=sys.stderr)
                skipped += 1
                continue
            started = time.monotonic()
            with MotoServer() as moto:
                state = apply_corpus(name, tools, moto.url, scratch)
            target = CORPUS / name / "terraform.tfstate"
            target.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
            count = sum(len(r.get("instances", [])) for r in state["resources"])
            print(f"{name}: {count} instances in {time.monotonic() - started:.0f} s -> {target}")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
