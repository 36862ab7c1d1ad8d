"""The proliferate-components CrossGuard policy pack.

Run with `pulumi preview --policy-pack policies [--policy-pack-config config.json]`, or offline
with `proliferate-infra preview --offline PROJECT_DIR`. The rules live in
`proliferate_components.policies`; this file only serves them.
"""

from proliferate_components.policies.pack import build_pack

build_pack()
