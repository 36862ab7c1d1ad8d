"""Record the bundled example's registrations, as the state of a deployed stack.

The committed ``release-0.1-*.json`` were recorded from commit 8cc892b (version 0.1.0, the
last release before the platform contract). Run it with the package of the release to
record on the path, e.g. from a checkout of the release commit::

    git worktree add /tmp/release-0.1 <commit>
    PYTHONPATH=/tmp/release-0.1 python tests/upgrade_fixtures/record.py \\
        /tmp/release-0.1/examples/proliferate tests/upgrade_fixtures/release-0.1

It writes ``<out>-dev.json`` and ``<out>-prod.json``: per resource its URN, type, id,
inputs and outputs (Pulumi secrets unwrapped: the values are the offline mocks' stand-ins,
never real secrets) and its protect and ignore_changes options. ``tests/test_upgrade.py``
previews the current program against them, as ``pulumi preview`` would against the state.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from proliferate_components.config import DEV_PRESET, PROD_PRESET
from proliferate_components.testing import capture_project, unwrap

USER_SECRETS = {
    "proliferate:ANTHROPIC_API_KEY": "sk-ant-user-value-0123456789",
    "proliferate:GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nuser-pem\n-----END RSA PRIVATE KEY-----",
    "proliferate:GITHUB_APP_WEBHOOK_SECRET": "whsec-user-value-abcdef",
    "proliferate:GITHUB_OAUTH_APP_SECRET": "oauth-user-secret-value",
    "proliferate:MODAL_TOKEN_ID": "ak-modal-user-id-value",
    "proliferate:MODAL_TOKEN_SECRET": "as-modal-user-secret-value",
}
PLAIN = {"proliferate:GITHUB_APP_ID": "123456", "proliferate:NEXT_PUBLIC_GITHUB_APP_SLUG": "app"}


def record(example: Path, preset: str) -> list[dict[str, Any]]:
    config = {**(DEV_PRESET if preset == "dev" else PROD_PRESET), **USER_SECRETS, **PLAIN}
    cap = capture_project(
        example,
        config=config,
        secret_keys=["proliferate:certificateArn", *USER_SECRETS],
        stack=preset,
    )
    return [
        {
            "urn": r.urn,
            "type": r.type,
            "name": r.name,
            "custom": r.custom,
            "id": r.id,
            "protect": bool(r.protect),
            "ignoreChanges": list(r.ignore_changes),
            "inputs": unwrap(dict(r.inputs)),
            "outputs": unwrap(dict(r.outputs)),
        }
        for r in cap.resources
    ]


def main(argv: list[str]) -> int:
    example, out = Path(argv[1]), argv[2]
    for preset in ("dev", "prod"):
        path = Path(f"{out}-{preset}.json")
        path.write_text(json.dumps(record(example, preset), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
