"""ISO-8601 dates are read alike on every supported Python.

Python 3.10's ``datetime.fromisoformat`` reads only what ``isoformat()`` writes; from 3.11 on
it reads most of ISO-8601. Each reader of a date string (a model's date, a condition's date,
the scan's epoch second, the sandbox's request dates and its ``--start``) gives the same
answer for the same text whichever Python runs it.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from omsclient import ValidationError
from omsclient._decoding import PageDecoder, structure
from omsclient.errors import StructureError
from omsclient.legacy import format_datetime
from omsclient.legacy._scan_dates import epoch_second
from omsclient.legacy.models import Order
from omsclient.sandbox._cli import add_arguments
from omsclient.sandbox._dates import parse

UTC = timezone.utc

# Each text, and the moment it stands for (UTC), or None where every Python refuses it.
DATES = [
    ("2024-01-31T08:00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31T08:00:00.000+00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31T08:00:00Z", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    # An offset without its colon (PHP's DATE_ISO8601), or to the hour.
    ("2024-01-31T09:00:00+0100", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31T09:00:00+01", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    # Fractions of any length, after a point or a comma.
    ("2024-01-31T08:00:00.5", datetime(2024, 1, 31, 8, 0, 0, 500000, UTC)),
    ("2024-01-31T08:00:00.1234567Z", datetime(2024, 1, 31, 8, 0, 0, 123456, UTC)),
    ("2024-01-31T08:00:00,5", datetime(2024, 1, 31, 8, 0, 0, 500000, UTC)),
    # A point with no digit after it is no fraction, but for Python's reading before a zone.
    ("2024-01-31T08:00:00.", None),
    ("2024-01-31 08:00:00.", None),
    ("2024-01-31T08:00:00.Z", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    # ISO-8601's basic format and week dates.
    ("2024-01-31T0800", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("20240131T080000", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-W05-3T08:00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-031", None),  # ordinal dates are read by no Python
    ("2024-01-31T24:00:00", None),
    # An offset is less than a day, whatever its minutes say.
    ("2024-01-31T09:00:00+00:60", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31T08:00:00+24:00", None),
    ("2024-01-31T08:00:00.5-2400", None),
    ("2024-01-31T08:00:00+23:60", None),
    ("31.01.2024", None),
    # A date alone is its midnight, in the zone after it: read as a time of day (05:00, its
    # sign lost), it was ten hours off in the models, the scan and the sync, not in conditions.
    ("2024-01-31", datetime(2024, 1, 31, tzinfo=UTC)),
    ("2024-01-31Z", datetime(2024, 1, 31, tzinfo=UTC)),
    ("2024-01-31+05:00", datetime(2024, 1, 30, 19, tzinfo=UTC)),
    ("2024-01-31-05:00", datetime(2024, 1, 31, 5, tzinfo=UTC)),
    ("20240131+0530", datetime(2024, 1, 30, 18, 30, tzinfo=UTC)),
]


def second(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.mark.parametrize(("text", "moment"), DATES)
def test_a_model_reads_the_same_dates_on_every_python(text: str, moment: datetime | None) -> None:
    if moment is None:
        with pytest.raises(
            StructureError, match=r"expected an ISO-8601 date, got .* @ \$\.date_due"
        ):
            structure({"date_due": text}, Order)
    else:
        assert structure({"date_due": text}, Order).date_due == moment


@pytest.mark.parametrize(("text", "moment"), DATES)
def test_a_condition_takes_the_same_dates_on_every_python(
    text: str, moment: datetime | None
) -> None:
    if moment is None:
        with pytest.raises(ValidationError, match="ISO-8601"):
            format_datetime(text)
    else:
        assert format_datetime(text) == moment.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize(("text", "moment"), DATES)
def test_the_scan_reads_the_same_dates_on_every_python(text: str, moment: datetime | None) -> None:
    assert epoch_second(text) == (None if moment is None else second(moment))


@pytest.mark.parametrize(("text", "moment"), DATES)
def test_the_sandbox_reads_the_same_request_dates_on_every_python(
    text: str, moment: datetime | None
) -> None:
    assert parse(text) == (None if moment is None else second(moment))


def test_the_sandbox_start_takes_a_trailing_z_on_every_python() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    start = parser.parse_args(["--start", "2024-01-31T00:00:00Z"]).start
    assert start == datetime(2024, 1, 31, tzinfo=UTC)


# Every date the live server sends ends in a zero offset (2024-10-09T02:24:39.000+00:00), and the
# generated hooks read that form inline. Some texts of that ending are other forms, which
# fromisoformat reads as naive ("2024-01-31+00:00": the "+" taken for the date's separator) or
# refuses (a space before it): each must come out as the converter's date hook reads it.
ZERO_OFFSET = [
    ("2024-01-31T08:00:00.000+00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31 08:00:00.123+00:00", datetime(2024, 1, 31, 8, 0, 0, 123000, UTC)),
    ("2024-01-31T08:00+00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31+00:00", datetime(2024, 1, 31, tzinfo=UTC)),
    (" 2024-01-31T08:00:00+00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-W05-3T08:00:00+00:00", datetime(2024, 1, 31, 8, tzinfo=UTC)),
    ("2024-01-31T08:00:00+00:00+00:00", None),
    ("2024-01-31T24:00:00.000+00:00", None),
    ("+00:00", None),
]
SAMPLE = orjson.loads((Path(__file__).parent / "data" / "sample_order.json").read_bytes())


@pytest.mark.parametrize(("text", "moment"), ZERO_OFFSET)
def test_dates_ending_in_a_zero_offset_are_read_in_utc_by_every_path(
    text: str, moment: datetime | None
) -> None:
    line = {**SAMPLE["order_lines"][0], "processed_date": text}
    row = {**SAMPLE, "date_due": text, "order_lines": [line]}
    page = orjson.dumps({"response_status": {"code": 10001}, "orders": [row]})
    decoded = PageDecoder("orders", Order, "order_id").decode(page)
    if moment is None:
        with pytest.raises(StructureError, match=r"expected an ISO-8601 date, got "):
            structure(row, Order)
        assert decoded is None  # the page goes to the converter, which explains
        return
    assert decoded is not None, "the page decoder refused it"
    for order in (structure(row, Order), *decoded.items):
        for read in (order.date_due, order.order_lines[0].processed_date):
            assert read == moment
            assert read.tzinfo is UTC  # aware, as a naive date would not be
