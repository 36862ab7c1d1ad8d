"""Every resource type the bundled example creates, in the dev and prod presets with every
optional feature on, has a price or a stated reason to be free: nothing the stack creates is
left "not priced"."""

from __future__ import annotations

import pytest

from proliferate_components.config import StackConfig
from proliferate_components.cost import estimate, resources_from_registrations
from proliferate_components.cost.rules import RULES, coverage, free_reason
from proliferate_components.preview import run_preview
from proliferate_components.stack import ProliferateStack, ServiceImage
from proliferate_components.testing import capture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*")

EVERY_OPTION = {
    "proliferate:enableWeb": "true",
    "proliferate:manageDns": "true",
    "proliferate:domainName": "app.example.com",
    "proliferate:enableHttps": "true",
    "proliferate:enableFlowLogs": "true",
    "proliferate:enableAutoscaling": "true",
    "proliferate:enableExecuteCommand": "true",
    "proliferate:natStrategy": "one_per_az",
    "proliferate:dbMultiAz": "true",
}


@pytest.mark.parametrize("preset", ["dev", "prod"])
@pytest.mark.parametrize("options", [False, True], ids=["defaults", "every-option"])
def test_every_type_the_example_creates_is_priced_or_free(preset: str, options: bool) -> None:
    config = dict(EVERY_OPTION) if options else {}
    result = run_preview(None, preset=preset, config=config, policy_pack=None)
    custom = [r for r in result.capture.resources if r.custom or r.remote]
    unpriced = sorted({r.type for r in custom if coverage(r.type) == "not priced"})
    assert unpriced == [], f"add a price rule or a free reason for {unpriced}"
    cost = estimate(resources_from_registrations(result.capture.resources))
    assert cost.not_priced == ()
    assert {r.status for r in cost.resources} <= {"priced", "free"}
    for r in cost.resources:
        assert r.status == "priced" or r.reason, r.name
    assert cost.total_usd > 0


def test_the_options_add_what_they_should() -> None:
    """The every-option run really has the optional resources (the test above is not vacuous)."""
    result = run_preview(None, preset="prod", config=EVERY_OPTION, policy_pack=None)
    types = {r.type for r in result.capture.resources}
    for expected in (
        "aws:route53/zone:Zone",
        "aws:acm/certificate:Certificate",
        "aws:ec2/flowLog:FlowLog",
        "aws:appautoscaling/policy:Policy",
        "aws:ec2/natGateway:NatGateway",
    ):
        assert expected in types
    web = [r for r in result.capture.resources if r.name == "proliferate-web-service"]
    assert len(web) == 1


def test_an_image_built_by_the_stack_is_free_and_its_repository_priced() -> None:
    def program() -> None:
        config = StackConfig.dev(enable_web=True)
        ProliferateStack(
            "proliferate",
            config,
            images={"worker": ServiceImage(build_context="./worker")},
            user_secret_values={},
        ).export_outputs()

    result = capture(program)
    cost = estimate(resources_from_registrations(result.resources))
    remote = [r for r in result.resources if r.remote]
    assert remote, "the build registers a multi-language component"
    statuses = {r.type: r.status for r in cost.resources}
    for r in remote:
        assert statuses[r.type] == "free"
        assert free_reason(r.type)
    assert cost.not_priced == ()


def test_priced_and_free_lists_do_not_overlap() -> None:
    from proliferate_components.cost.rules import FREE_TYPES

    assert set(RULES).isdisjoint(FREE_TYPES)
