"""How values are written: into stored events (transcodings) and into read-model columns."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.transcodings import EnumAsValue, RecurringUUIDAsHex
from domain.values import ImplementationStatus, Role
from projections.base import stored_value, to_json, ts


def test_an_id_is_decoded_once_and_shared_by_the_events_that_name_it() -> None:
    transcoding = RecurringUUIDAsHex()
    text = uuid4().hex
    first = transcoding.decode(text)
    assert first == UUID(text)
    assert transcoding.decode(text) is first
    assert transcoding.encode(first) == text


def test_the_ids_remembered_are_bounded() -> None:
    transcoding = RecurringUUIDAsHex()
    transcoding.MAX_REMEMBERED = 10
    ids = [uuid4() for _ in range(25)]
    assert [transcoding.decode(i.hex) for i in ids] == ids
    assert 0 < len(transcoding.decoded) <= 10


def test_an_enum_is_decoded_from_its_value_and_an_unknown_value_is_refused() -> None:
    transcoding = EnumAsValue(ImplementationStatus)
    for member in ImplementationStatus:
        assert transcoding.decode(transcoding.encode(member)) is member
    with pytest.raises(ValueError, match="no-such-status"):
        transcoding.decode("no-such-status")


def _reference(value: Any) -> str:
    """The canonical text, the long way: every value made plain first, then encoded."""
    return json.dumps(
        stored_value(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.uuids()
    | st.sampled_from(list(Role))
    | st.sampled_from(list(ImplementationStatus))
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.frozensets(st.text(max_size=3), max_size=3)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_values)
def test_a_column_value_is_the_canonical_json_of_its_plain_form(value: Any) -> None:
    assert to_json(value) == _reference(value)


# Not numbers: a dict whose keys are all numbers is ordered by number, not by text (see to_json).
_keys = st.text(max_size=5) | st.none() | st.booleans() | st.sampled_from(list(Role)) | st.uuids()


@given(st.dictionaries(_keys, _scalars, max_size=4))
def test_a_key_that_is_not_text_is_written_as_json_writes_it(value: dict[Any, Any]) -> None:
    assert to_json(value) == _reference(value)


def test_keys_of_every_kind_as_text() -> None:
    assert to_json({None: 1}) == '{"null":1}'
    assert to_json({True: 1}) == '{"true":1}'
    assert to_json({2: 1, "1": 0}) == '{"1":0,"2":1}'
    assert to_json({10: 1, 9: 0}) == '{"9":0,"10":1}'
    some = uuid4()
    assert to_json({some: 1}) == f'{{"{some}":1}}'


def test_a_value_read_models_do_not_store_is_refused() -> None:
    with pytest.raises(TypeError):
        to_json({"x": object()})


def test_a_time_is_written_as_iso_text_however_the_calls_interleave() -> None:
    start = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    times = [start + timedelta(microseconds=n) for n in range(3)]
    for value in [times[0], times[0], times[1], times[0], times[2], times[2], times[1]]:
        assert ts(value) == value.isoformat()
    assert ts(date(2026, 12, 1)) == "2026-12-01"  # type: ignore[arg-type]
