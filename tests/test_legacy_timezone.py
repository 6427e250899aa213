"""A legacy server comparing date conditions in its local time, and ``legacy_timezone``.

The API reference says the dates of conditions are UTC; a server comparing the local times it
stores reads ``>= 2024-11-03T04:00:00`` as four in the morning in New York, five hours later.
Every condition the SDK writes (a user's, a scan's windows and cursors, an export's range, a
sync's watermark) goes through one encoder, which writes the zone's wall time when the client
is told the zone. Fixtures are built from the facts (the sandbox's own records, the wall
times a zone has), not from the SDK's encoder.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
import respx

import omsclient
from omsclient import ConfigurationError
from omsclient.dbsync import sync_orders
from omsclient.export import CheckpointError, export_orders
from omsclient.legacy import Condition, Op, OrderField, ScanState, StatusChange
from omsclient.sandbox import Quirks, SandboxConfig, SandboxInfo, serve, serve_async

from .conftest import LEGACY, form_of, ok

FIND = f"{LEGACY}/api/json/manage_orders/find"
NEW_YORK = "America/New_York"
UTC = timezone.utc


@pytest.mark.parametrize(
    ("zone", "moment", "wall"),
    [
        # Eastern Daylight Time, then Eastern Standard Time after 2024-11-03 06:00 UTC.
        (NEW_YORK, datetime(2024, 7, 1, 4, tzinfo=UTC), "2024-07-01T00:00:00"),
        (NEW_YORK, datetime(2024, 11, 4, 5, tzinfo=UTC), "2024-11-04T00:00:00"),
        # Sydney is ahead: the day before in UTC.
        ("Australia/Sydney", datetime(2024, 1, 31, 13, tzinfo=UTC), "2024-02-01T00:00:00"),
        ("Asia/Kathmandu", datetime(2024, 6, 1, 0, tzinfo=UTC), "2024-06-01T05:45:00"),
        ("UTC", datetime(2024, 6, 1, 0, tzinfo=UTC), "2024-06-01T00:00:00"),
    ],
)
@respx.mock
async def test_date_conditions_are_sent_as_the_zones_wall_time(
    zone: str, moment: datetime, wall: str
) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="p", legacy_timezone=zone
    ) as oms:
        await oms.legacy.orders.search(Condition(OrderField.DATE_ORDERED, Op.GE, date1=moment))
        await oms.legacy.orders.search(
            Condition(OrderField.DATE_MODIFIED, Op.BETWEEN, date1=moment, date2=moment),
            Condition(OrderField.ORDER_STATUS, Op.EQ, string=1),
        )
    single, multi = (form_of(call.request) for call in route.calls)
    assert single["date1"] == wall
    assert multi["conditions[1][date1]"] == multi["conditions[1][date2]"] == wall


@respx.mock
async def test_the_second_pass_of_an_hour_the_clocks_repeat_is_a_start_but_never_an_end() -> None:
    # 01:00-02:00 in New York twice on 2024-11-03: first in EDT (05:00-06:00 UTC), then in EST
    # (06:00-07:00 UTC). A server reading such a wall time as the earlier moment (as PHP
    # does) reads the first pass's as meant. The second pass's it reads an hour early: as a
    # start it selects more, which a scan checks; as an end an hour less, unseen (a scan's
    # window ended there and lost that hour's orders with exit 0).
    first_pass = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    second_pass = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="p", legacy_timezone=NEW_YORK
    ) as oms:
        for op in Op:
            if op is not Op.BETWEEN:
                condition = Condition(OrderField.DATE_ORDERED, op, date1=first_pass)
                await oms.legacy.orders.search(condition)
                assert form_of(route.calls.last.request)["date1"] == "2024-11-03T01:30:00"
        sent = route.call_count
        await oms.legacy.orders.search(Condition(OrderField.DATE_ORDERED, Op.GE, date1=second_pass))
        assert form_of(route.calls.last.request)["date1"] == "2024-11-03T01:30:00"
        for op in (Op.LT, Op.LE, Op.EQ, Op.NE):
            with pytest.raises(omsclient.ValidationError, match="the second time its clocks"):
                condition = Condition(OrderField.DATE_ORDERED, op, date1=second_pass)
                await oms.legacy.orders.search(condition)
        with pytest.raises(omsclient.ValidationError, match="the end after until"):
            oms.legacy.orders.scan(until=second_pass)
        oms.legacy.orders.scan(until=datetime(2024, 11, 3, 6, 59, 59, tzinfo=UTC))  # ends 07:00
        # Before, or from, the first second the clocks show again: the last of the first pass,
        # which the server reads as meant (a scan's end after until 05:59:59 was refused, and
        # the next second's start read an hour early).
        again = datetime(2024, 11, 3, 6, tzinfo=UTC)
        for op, sent_as in ((Op.LT, Op.LE), (Op.GE, Op.GT)):
            await oms.legacy.orders.search(Condition(OrderField.DATE_ORDERED, op, date1=again))
            form = form_of(route.calls.last.request)
            assert (form["condition"], form["date1"]) == (
                str(int(sent_as)),
                "2024-11-03T01:59:59",
            )
        oms.legacy.orders.scan(until=datetime(2024, 11, 3, 5, 59, 59, tzinfo=UTC))
    assert route.call_count == sent + 3


@respx.mock
async def test_a_start_before_the_apis_first_second_in_the_zone_is_that_second() -> None:
    # New York's wall time at the API's first second (1000-01-01T00:00 UTC) is still in 999,
    # which the API stores no date of: the oldest order is after the first second anyway.
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="p", legacy_timezone=NEW_YORK
    ) as oms:
        [o async for o in oms.legacy.orders.scan()]
    assert form_of(route.calls.last.request)["date1"] == "1000-01-01T00:00:00"


@respx.mock
@pytest.mark.parametrize("op", [Op.LT, Op.LE, Op.EQ, Op.NE])
async def test_an_end_or_an_equality_before_the_apis_first_second_in_the_zone_is_refused(
    op: Op,
) -> None:
    # 1000-01-01T02:00Z is 0999-12-31T21:03:58 in New York: sent as it was, a date the API's
    # years cannot hold, which a server may refuse or read as it pleases.
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    early = Condition(OrderField.DATE_ORDERED, op, date1="1000-01-01T02:00:00")
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="p", legacy_timezone=NEW_YORK
    ) as oms:
        with pytest.raises(omsclient.ValidationError, match=r"date1 .* is 0999-12-31T21:03:58 in"):
            await oms.legacy.orders.search(early)
        with pytest.raises(omsclient.ValidationError, match="before the first second the API"):
            [o async for o in oms.legacy.orders.scan(until="1000-01-01T02:00:00")]
        # From that moment on is every order: the first second.
        await oms.legacy.orders.search(Condition(OrderField.DATE_ORDERED, Op.GE, date1=early.date1))
    assert route.call_count == 1
    assert form_of(route.calls.last.request)["date1"] == "1000-01-01T00:00:00"


@respx.mock
async def test_without_a_zone_conditions_stay_utc_and_the_environment_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    moment = Condition(OrderField.DATE_ORDERED, Op.GE, date1=datetime(2024, 7, 1, 4, tzinfo=UTC))
    async with omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p") as oms:
        await oms.legacy.orders.search(moment)
    monkeypatch.setenv("OMS_LEGACY_TIMEZONE", NEW_YORK)
    async with omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p") as oms:
        assert str(oms.settings.legacy_timezone) == NEW_YORK
        await oms.legacy.orders.search(moment)
    assert [form_of(c.request)["date1"] for c in route.calls] == [
        "2024-07-01T04:00:00",
        "2024-07-01T00:00:00",
    ]


@pytest.mark.parametrize("zone", ["GMT", "Etc/Universal", "Zulu", "UTC"])
def test_every_name_of_utc_is_utc(zone: str) -> None:
    # GMT was a zone of its own: an export's checkpoint made without one was refused.
    oms = omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p", legacy_timezone=zone)
    assert oms.settings.legacy_timezone is None


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "New York", 5, "../etc/passwd"])
def test_a_zone_no_one_names_is_refused_naming_the_setting(
    zone: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="legacy_timezone must be a time zone name"):
        omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p", legacy_timezone=zone)
    if isinstance(zone, str):
        monkeypatch.setenv("OMS_LEGACY_TIMEZONE", zone)
        with pytest.raises(ConfigurationError, match="OMS_LEGACY_TIMEZONE"):
            omsclient.AsyncClient(legacy_url=LEGACY, username="u", password="p")


# -- a server comparing in New York's time, over real sockets -------------------------------


@pytest.fixture(scope="module")
def new_york_server() -> Any:
    # Across the end of daylight saving time, 2024-11-03.
    with serve(_new_york(orders=1500, start=datetime(2024, 10, 30), days=10)) as info:
        yield info


def _new_york(orders: int, start: datetime, days: int) -> SandboxConfig:
    """A sandbox comparing date conditions in New York's time."""
    return SandboxConfig(
        orders=orders, products=5, start=start, days=days, quirks=Quirks(condition_zone=NEW_YORK)
    )


def _utc_day(info: SandboxInfo, day: datetime) -> set[str]:
    start = int(day.replace(tzinfo=UTC).timestamp())
    return {r.order_id for r in info.state.orders if start <= r.date_ordered < start + 86400}


async def test_a_days_export_from_a_server_comparing_local_times_is_exact_with_its_zone(
    new_york_server: SandboxInfo, tmp_path: Path
) -> None:
    info = new_york_server
    day = datetime(2024, 11, 3)
    expected = _utc_day(info, day)
    assert len(expected) > 100
    until = datetime(2024, 11, 3, 23, 59, 59)
    got = {}
    for zone in (None, NEW_YORK):
        out = tmp_path / f"{zone is None}.jsonl"
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=zone)) as oms:
            await export_orders(oms, out, since=day, until=until)
        got[zone] = {orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines()}
    # Read as New York's, the day's first hours (04:00-05:00 UTC) were left out.
    assert got[None] < expected
    assert got[NEW_YORK] == expected


async def test_a_scan_and_a_sync_read_every_order_from_such_a_server_with_its_zone(
    new_york_server: SandboxInfo, tmp_path: Path
) -> None:
    info = new_york_server
    everything = {r.order_id for r in info.state.orders}
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
        scanned = [o.order_id async for o in oms.legacy.orders.scan(windows=4)]
        assert sorted(scanned) == sorted(everything)
        first = await sync_orders(oms, url)
        record = next(r for r in info.state.orders if r.status < 3)
        await oms.legacy.orders.update_status(
            StatusChange(order_id=record.order_id, new_status=record.status + 1)
        )
        again = await sync_orders(oms, url)
        rows = [o async for o in oms.legacy.orders.scan(raw=True)]
    assert first.new == len(everything)
    assert (again.full, again.updated) == (False, 1)
    db = sqlite3.connect(tmp_path / "orders.db")
    try:
        stored = dict(db.execute("SELECT order_id, order_status FROM orders").fetchall())
    finally:
        db.close()
    assert stored == {row["order_id"]: row["order_status"] for row in rows}


async def test_a_sync_whose_scan_may_have_skipped_orders_keeps_the_watermark_it_had(
    new_york_server: SandboxInfo, tmp_path: Path
) -> None:
    # Read as UTC, the server comparing in New York's time skips orders: the run warned, saved
    # a watermark past them and said "every matching row", and each later run read only the
    # changes since, those orders left out until they changed.
    info = new_york_server
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone="UTC")) as oms:
        first = await sync_orders(oms, url)
        again = await sync_orders(oms, url)
    assert first.missed_because == ("the server's time zone",)
    assert 0 < first.read < len(info.state.orders)
    # None taken: the next run reads every order again, as the first did.
    assert (first.watermark, again.watermark) == (None, None)
    assert (again.full, again.read, again.new) == (True, first.read, 0)
    assert again.missed_because == ("the server's time zone",)


async def test_a_sync_resumed_keeps_what_the_run_it_continues_may_have_skipped(
    new_york_server: SandboxInfo, tmp_path: Path
) -> None:
    db = tmp_path / "orders.db"

    def stop(progress: Any) -> None:
        raise KeyboardInterrupt

    async with omsclient.AsyncClient(**new_york_server.client_kwargs(legacy_timezone="UTC")) as oms:
        with pytest.raises(KeyboardInterrupt):
            await sync_orders(oms, f"sqlite:///{db}", progress=stop)
        connection = sqlite3.connect(db)
        try:
            ((state,),) = connection.execute("SELECT state FROM omsclient_sync_state").fetchall()
        finally:
            connection.close()
        assert orjson.loads(state)["run"]["missed"] == ["the server's time zone"]
        resumed = await sync_orders(oms, f"sqlite:///{db}")
    assert resumed.resumed
    assert resumed.missed_because == ("the server's time zone",)
    assert resumed.watermark is None


async def test_an_export_resumes_only_under_the_zone_it_began_with(
    new_york_server: SandboxInfo, tmp_path: Path
) -> None:
    info = new_york_server
    out = tmp_path / "orders.jsonl"

    def stop(progress: Any) -> None:
        raise KeyboardInterrupt

    async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
        with pytest.raises(KeyboardInterrupt):
            await export_orders(oms, out, progress=stop)
    # Its conditions select other orders under another zone: the rows written so far would
    # not be the first of that query.
    async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone="UTC")) as oms:
        with pytest.raises(CheckpointError):
            await export_orders(oms, out, resume=True)
    async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
        await export_orders(oms, out, resume=True)
    assert len(out.read_bytes().splitlines()) == len(info.state.orders)


async def test_a_server_ahead_of_utc_read_as_utc_says_which_setting_to_set() -> None:
    # Read as Sydney's, each window's start is eleven hours earlier: orders before it come
    # back, and the scan stops saying why, where it named no time zone setting.
    config = SandboxConfig(
        orders=300, products=5, days=3, quirks=Quirks(condition_zone="Australia/Sydney")
    )
    with serve(config) as info:
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone="UTC")) as oms:
            since = datetime(2024, 1, 2)
            with pytest.raises(omsclient.DecodeError, match="legacy_timezone"):
                [o async for o in oms.legacy.orders.scan(since=since)]
        kwargs = {
            **info.client_kwargs(legacy_timezone="UTC"),
            "legacy_timezone": "Australia/Sydney",
        }
        async with omsclient.AsyncClient(**kwargs) as oms:
            read = {o.order_id async for o in oms.legacy.orders.scan(since=since)}
    start = int(since.replace(tzinfo=UTC).timestamp())
    assert read == {r.order_id for r in info.state.orders if r.date_ordered >= start}


@pytest.mark.parametrize(
    ("zone", "start"),
    [(NEW_YORK, datetime(2024, 11, 1)), ("Australia/Sydney", datetime(2024, 4, 5))],
)
async def test_a_scan_across_the_hour_the_clocks_repeat_reads_every_order_once(
    zone: str, start: datetime
) -> None:
    # A window split inside that hour was sent as an end the server read an hour early: 8 of
    # 600 orders lost, and an export's exit 0.
    config = SandboxConfig(
        orders=600, products=5, start=start, days=3, quirks=Quirks(condition_zone=zone)
    )
    with serve(config) as info:
        everything = sorted(r.order_id for r in info.state.orders)
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=zone)) as oms:
            for windows in (1, 3, 4, 6, 7, 12):
                read = [o.order_id async for o in oms.legacy.orders.scan(windows=windows)]
                assert sorted(read) == everything, windows


async def test_a_sync_run_in_the_hour_the_clocks_repeat_finds_its_watermark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The search for the latest change ends at this machine's time, which no end may be
    # sent as in that hour: every sync run then would have stopped with a ValidationError.
    import omsclient.dbsync._runner as runner

    in_the_hour = datetime(2024, 11, 3, 6, 30, tzinfo=UTC).timestamp()
    monkeypatch.setattr(runner.time, "time", lambda: in_the_hour)
    config = _new_york(orders=300, start=datetime(2024, 10, 31), days=2)
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    with serve(config) as info:
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            first = await sync_orders(oms, url)
            again = await sync_orders(oms, url)
    assert first.new == 300
    assert first.watermark is not None
    assert not again.full


@pytest.mark.parametrize("last", [False, True], ids=["inside", "its-last-second"])
async def test_a_tie_block_in_the_first_pass_of_a_repeated_hour_is_read_whole(last: bool) -> None:
    # More than a page of orders in one second at 01:xx EDT (05:xx UTC): its passes send that
    # second's end, which the server reads as meant; the first fix refused it mid-scan. In the
    # last second, 01:59:59 EDT, the end after it (01:00:00 EST) was refused, and the start of
    # the next window read an hour early.
    config = _new_york(orders=2000, start=datetime(2024, 11, 2), days=2)
    with serve(config) as info:
        state = info.state
        hour = int(datetime(2024, 11, 3, 5, tzinfo=UTC).timestamp())
        first = next(r.index for r in state.orders if hour <= r.date_ordered < hour + 3600)
        second = hour + 3599 if last else state.orders[first].date_ordered
        changes = []
        for record in state.orders[first : first + 150]:
            tied = record._clone()
            tied.date_ordered = second
            state.orders[record.index] = tied
            changes.append((record, tied))
        state._commit(changes)
        everything = sorted(r.order_id for r in state.orders)
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            for windows in (1, 2):
                read = [o.order_id async for o in oms.legacy.orders.scan(windows=windows)]
                assert sorted(read) == everything


async def test_a_scan_left_in_the_second_pass_of_a_repeated_hour_resumes() -> None:
    # Its cursor there is read an hour early: the orders of that hour came back, and the
    # resumed scan stopped, on every try, with 8 orders in those two hours. They are dropped
    # as a planning page's are; only more of them than a page holds stops a scan.
    with serve(_new_york(orders=300, start=datetime(2024, 11, 2), days=3)) as info:
        again = int(datetime(2024, 11, 3, 6, tzinfo=UTC).timestamp())
        everything = sorted(r.order_id for r in info.state.orders)
        assert any(again <= r.date_ordered < again + 3600 for r in info.state.orders)
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            scan = oms.legacy.orders.scan()
            read = []
            async for order in scan:
                read.append(order.order_id)
                assert order.date_ordered is not None
                if order.date_ordered.timestamp() >= again:
                    break
            state = scan.state
            assert state is not None
            resumed = oms.legacy.orders.scan(state=ScanState.from_dict(state.to_dict()))
            read += [o.order_id async for o in resumed]
    assert sorted(read) == everything


async def test_a_scan_that_must_page_through_the_second_pass_says_why_it_cannot() -> None:
    # A cursor in the second pass is read an hour early: the orders of the hour before it come
    # back, and paging by date cannot get past them. It said the server ignored the sort.
    config = _new_york(orders=4000, start=datetime(2024, 11, 3), days=1)
    with serve(config) as info:
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            with pytest.raises(omsclient.DecodeError, match="cannot be paged through by date"):
                [o async for o in oms.legacy.orders.scan()]


@pytest.mark.parametrize(
    "starts",
    # Seconds after the scan's since (01:50 EDT, read as meant) of the night's orders: the
    # first page ends in the second pass (01:xx EST) with a page of orders in the hour the
    # server reads its end as. One order every 12 s from since on: the page's last second
    # counted, which was taken for a tie block, whose end the client then refused ("choose a
    # date outside that hour" for a date never given). From 20 minutes before since: rows
    # from before since came back, blamed on legacy_timezone, set as it should be.
    [range(0, 1800, 12), range(-1200, 2400, 12)],
    ids=["from-since", "from-before-since"],
)
async def test_a_page_ending_in_the_second_pass_says_it_cannot_be_paged_through(
    starts: range,
) -> None:
    since = datetime(2024, 11, 3, 5, 50, tzinfo=UTC)
    first = int(since.timestamp())
    config = _new_york(orders=300, start=datetime(2024, 11, 2), days=2)
    with serve(config) as info:
        state = info.state
        # Every other order a day later, so that the night holds only these.
        seconds = [first + start for start in starts]
        seconds += [first + 86400 + i for i in range(len(state.orders) - len(seconds))]
        changes = []
        for record, second in zip(state.orders, seconds, strict=True):
            moved = record._clone()
            moved.date_ordered = second
            state.orders[record.index] = moved
            changes.append((record, moved))
        state._commit(changes)
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            with pytest.raises(omsclient.DecodeError, match="cannot be paged through by date"):
                [o async for o in oms.legacy.orders.scan(since=since, raw="sent")]


def test_a_zone_is_found_without_the_systems_database() -> None:
    # Windows and slim containers have none: the tzdata package, a dependency, has them.
    import zoneinfo

    zoneinfo.reset_tzpath(to=[])
    zoneinfo.ZoneInfo.clear_cache()
    try:
        oms = omsclient.AsyncClient(
            legacy_url=LEGACY, username="u", password="p", legacy_timezone="Australia/Sydney"
        )
        zone = oms.settings.legacy_timezone
        assert zone is not None
        assert zone.utcoffset(datetime(2024, 1, 1)).total_seconds() == 11 * 3600  # type: ignore[union-attr]
    finally:
        zoneinfo.reset_tzpath()
        zoneinfo.ZoneInfo.clear_cache()


async def test_a_scan_since_the_second_pass_of_a_repeated_hour_reads_its_range() -> None:
    # Its start read an hour early, the orders of that hour came back, and the scan stopped
    # blaming legacy_timezone, set as it should be, for 67 orders in range.
    with serve(_new_york(orders=2000, start=datetime(2024, 11, 2), days=3)) as info:
        since = datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
        until = datetime(2024, 11, 3, 9, 30, tzinfo=UTC)
        first, last = int(since.timestamp()), int(until.timestamp())
        expected = {r.order_id for r in info.state.orders if first <= r.date_ordered <= last}
        assert 0 < len(expected) <= 100
        async with omsclient.AsyncClient(**info.client_kwargs(legacy_timezone=NEW_YORK)) as oms:
            read = [o.order_id async for o in oms.legacy.orders.scan(since=since, until=until)]
    assert sorted(read) == sorted(expected)


@respx.mock
async def test_an_end_past_the_years_in_a_zone_ahead_bounds_nothing() -> None:
    # --where ordered:le:9999-12-31 (the whole of that day) in Berlin's time is in the year
    # 10000: it was refused, where the command's docs call it no bound at all.
    route = respx.post(FIND).respond(json=ok(orders=[], total=0))
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="u", password="p", legacy_timezone="Europe/Berlin"
    ) as oms:
        last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
        await oms.legacy.orders.search(Condition(OrderField.DATE_ORDERED, Op.LE, date1=last))
    assert form_of(route.calls.last.request)["date1"] == "9999-12-31T23:59:59"


def _exported_ids(tmp_path: Path, name: str, *options: str) -> list[str]:
    from omsclient import cli

    out = tmp_path / name
    argv = ["export", "orders", "--sandbox", "--sandbox-orders", "300", "--out", str(out)]
    assert cli.main([*argv, *options, "--quiet"]) == 0
    return sorted(orjson.loads(line)["order_id"] for line in out.read_bytes().splitlines())


@pytest.mark.parametrize(
    "options", [(), ("--date-field", "shipped", "--since", "2024-06-01", "--until", "2024-06-30")]
)
def test_the_built_in_sandbox_compares_in_the_zone_the_environment_gives_the_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    # OMS_LEGACY_TIMEZONE, left set for the user's server, reached the client of --sandbox,
    # whose server compared in UTC: the export stopped with "orders are not in ascending Date
    # Ordered", and a range read other rows with exit 0 (21 orders shipped in June for 22).
    monkeypatch.delenv("OMS_LEGACY_TIMEZONE", raising=False)
    in_utc = _exported_ids(tmp_path, "utc.jsonl", *options)
    monkeypatch.setenv("OMS_LEGACY_TIMEZONE", "America/New_York")
    assert _exported_ids(tmp_path, "zoned.jsonl", *options) == in_utc
    assert in_utc


@pytest.mark.parametrize("zone", [None, NEW_YORK])
async def test_a_sandboxs_client_kwargs_hold_the_zone_it_compares_in(
    monkeypatch: pytest.MonkeyPatch, zone: str | None
) -> None:
    # A test's client made from client_kwargs() took OMS_LEGACY_TIMEZONE, set in the shell for
    # the user's server: its date conditions reached the UTC sandbox hours off, and a test
    # that passed on one machine read one order too many on another.
    monkeypatch.setenv("OMS_LEGACY_TIMEZONE", "Asia/Tokyo")
    config = SandboxConfig(orders=400, products=5, quirks=Quirks(condition_zone=zone))
    async with serve_async(config) as info:
        assert info.client_kwargs()["legacy_timezone"] == (zone or "UTC")
        middle = sorted(r.date_ordered for r in info.state.orders)[200]
        since = datetime.fromtimestamp(middle, UTC)
        expected = sorted(r.order_id for r in info.state.orders if r.date_ordered >= middle)
        async with omsclient.AsyncClient(**info.client_kwargs()) as oms:
            ready = Condition(OrderField.DATE_ORDERED, Op.GE, date1=since)
            found = sorted([o.order_id async for o in oms.legacy.orders.iterate(ready)])
        # A key given replaces the sandbox's: a client told another zone, as a test may want.
        assert info.client_kwargs(legacy_timezone="Asia/Tokyo")["legacy_timezone"] == "Asia/Tokyo"
    assert found == expected
