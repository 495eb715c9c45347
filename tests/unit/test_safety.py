"""The safety_tolerance cap rules (SPEC section 4: bot/safety.py, and the plan's
`tolerance_for` in bot/catalogue/plan.py), as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import MODELS, ProviderSchema
from bot.catalogue.plan import IMPLICIT_TOLERANCE, provider_allowed, tolerance_for
from bot.safety import SafetyCapExceeded, cap_in_force, check_requested

levels = st.integers(1, 6)
SCHEMAS: list[ProviderSchema] = [s for m in MODELS.values() for s in m.schemas]
schemas = st.sampled_from(SCHEMAS)


def test_the_catalogue_has_schemas_with_and_without_the_option() -> None:
    # Otherwise the properties below would only cover one branch.
    assert any(s.takes("safety_tolerance") for s in SCHEMAS)
    assert any(not s.takes("safety_tolerance") for s in SCHEMAS)


@given(server=levels, channel=st.none() | levels, sfw_max=levels)
def test_outside_age_restricted_channels_the_cap_never_exceeds_sfw_max(
    server: int, channel: int | None, sfw_max: int
) -> None:
    cap = cap_in_force(server_cap=server, channel_cap=channel, age_restricted=False,
                       sfw_max=sfw_max)
    assert 1 <= cap <= sfw_max
    assert cap == min(channel if channel is not None else server, sfw_max)


@given(server=levels, channel=st.none() | levels, sfw_max=levels)
def test_in_age_restricted_channels_the_admins_cap_applies(
    server: int, channel: int | None, sfw_max: int
) -> None:
    cap = cap_in_force(server_cap=server, channel_cap=channel, age_restricted=True,
                       sfw_max=sfw_max)
    # The channel's own cap wins over the server's, lower or higher.
    assert cap == (channel if channel is not None else server)


@given(requested=st.none() | levels, cap=levels)
def test_check_requested_refuses_exactly_the_values_above_the_cap(
    requested: int | None, cap: int
) -> None:
    if requested is not None and requested > cap:
        with pytest.raises(SafetyCapExceeded) as refused:
            check_requested(requested, cap)
        assert (refused.value.requested, refused.value.cap) == (requested, cap)
        assert f"cap of {cap}" in refused.value.message
    else:
        check_requested(requested, cap)


@given(schema=schemas, requested=st.none() | levels, cap=levels)
def test_tolerance_for_never_sends_more_than_the_cap(
    schema: ProviderSchema, requested: int | None, cap: int
) -> None:
    options: dict[str, object] = {"prompt": "a harbour at night", "seed": 3}
    if requested is not None:
        options["safety_tolerance"] = requested
    sent = tolerance_for(schema, options, cap)

    assert sent["prompt"] == "a harbour at night" and sent["seed"] == 3
    assert options.get("safety_tolerance") == requested  # the input is left alone
    if not schema.takes("safety_tolerance"):
        assert "safety_tolerance" not in sent
        return
    assert 1 <= sent["safety_tolerance"] <= cap
    if requested is None:
        default = schema.params["safety_tolerance"].default
        assert sent["safety_tolerance"] == min(default, cap)
    elif requested <= cap:
        assert sent["safety_tolerance"] == requested


@given(schema=schemas, cap=levels)
def test_a_provider_without_the_option_is_used_only_when_its_default_is_allowed(
    schema: ProviderSchema, cap: int
) -> None:
    allowed = provider_allowed(schema, cap)
    if schema.takes("safety_tolerance"):
        assert allowed
    else:
        assert allowed == (cap >= IMPLICIT_TOLERANCE)


@given(server=levels, channel=st.none() | levels, age_restricted=st.booleans(), sfw_max=levels,
       requested=st.none() | levels, schema=schemas)
def test_the_whole_path_never_reaches_a_provider_above_the_cap(
    server: int, channel: int | None, age_restricted: bool, sfw_max: int,
    requested: int | None, schema: ProviderSchema,
) -> None:
    cap = cap_in_force(server_cap=server, channel_cap=channel, age_restricted=age_restricted,
                       sfw_max=sfw_max)
    options = {} if requested is None else {"safety_tolerance": requested}
    try:
        check_requested(requested, cap)
    except SafetyCapExceeded:
        assert requested is not None and requested > cap
        return
    if not provider_allowed(schema, cap):
        return
    sent = tolerance_for(schema, options, cap).get("safety_tolerance", IMPLICIT_TOLERANCE)
    assert sent <= cap
    if not age_restricted:
        assert sent <= sfw_max
