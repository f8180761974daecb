"""Whatever JSON a service records reads back from the database exactly as it was hashed."""

import decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.services import audit_chain_verify, audit_record, canonical_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**62), max_value=2**62)
    | st.decimals(
        allow_nan=False, allow_infinity=False, places=10, max_value=10**17, min_value=-(10**17)
    )
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def test_canonical_json_sorts_keys_and_writes_decimals_as_strings():
    value = {"b": decimal.Decimal("1.50"), "a": [1, None, "x"]}

    assert canonical_json(value) == '{"a":[1,null,"x"],"b":"1.5"}'


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=st.dictionaries(st.text(max_size=8), json_values, max_size=5), after=json_values)
def test_any_recorded_json_verifies_after_a_round_trip(before, after):
    audit_record(
        action="order.modified", object_type="order", object_id=1, before=before, after={"v": after}
    )

    assert audit_chain_verify().intact is True
