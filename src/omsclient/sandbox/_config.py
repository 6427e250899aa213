"""Configuration of a sandbox: data size, credentials, faults, quirks and churn."""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Literal

import attrs

from omsclient._headers import check_secret_value
from omsclient._isoformat import fromisoformat
from omsclient._settings import credential_problem, store_id_text
from omsclient.errors import ConfigurationError

__all__ = [
    "DEFAULT_ORDERS",
    "DEFAULT_PRODUCTS",
    "Churn",
    "Faults",
    "FieldNumbering",
    "Quirks",
    "SandboxConfig",
]

DEFAULT_ORDERS = 5_000
"""Orders a sandbox generates unless told otherwise: ``SandboxConfig``, ``omsclient sandbox``
and ``omsclient export --sandbox`` all start from this."""
DEFAULT_PRODUCTS = 250
"""Products a sandbox generates unless told otherwise (one for every 20 orders)."""

FieldNumbering = Literal["api", "blueprint"]

EARLIEST_START = datetime(1, 1, 2)
"""The first ``start`` a sandbox takes: an order may have been started an hour before it."""
LATEST_END = datetime(9999, 1, 1)
"""The latest end of the date range: due dates (up to 22 days on) and the clock run past it."""


def _redacted(_value: object) -> str:
    return "'***'"


def _rate(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not _seconds(value):
        raise TypeError(f"{attribute.name} must be a number between 0 and 1, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be between 0 and 1, got {value!r}")


def _flag(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # "false" from an .ini file or an environment variable is a true string: a test of a
    # disabled API would run against a working one.
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be True or False, got {value!r}")


def _zone_name(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a time zone name or None, got {value!r}")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{attribute.name}: no time zone is named {value!r}") from None


def _statuses(value: Iterable[int]) -> tuple[int, ...]:
    # A list from JSON or YAML settings: kept, it left the frozen config unhashable.
    if isinstance(value, int) or not isinstance(value, Iterable):
        raise TypeError(f"error_statuses must be a tuple of 5xx codes, got {value!r}")
    return tuple(value)


def _seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _latency_pair(value: float | Sequence[float]) -> float | tuple[float, float]:
    # A pair read from JSON or YAML settings is a list; anything else would fail later with
    # an error about comparing types that does not name the setting.
    if _seconds(value):
        return value  # type: ignore[return-value]
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_seconds, value)):
        return (value[0], value[1])
    raise TypeError(f"latency must be seconds or a (min, max) pair, got {value!r}")


def _latency(_instance: object, _attribute: object, value: float | tuple[float, float]) -> None:
    low, high = value if isinstance(value, tuple) else (value, value)
    # NaN fails every request and infinity holds each one for ever: refused here, as the
    # command line refuses them, rather than at the first request.
    if not (0 <= low <= high and math.isfinite(high)):
        raise ValueError(f"latency must be finite seconds >= 0 or a (min, max) pair, got {value!r}")


def _names(items: Iterable[str]) -> frozenset[str]:
    # A string is an iterable of its characters: "ITEM-9" would make items "I", "T", ... fail
    # and leave ITEM-9 printing.
    if isinstance(items, (str, bytes)):
        raise TypeError(
            f"failing_print_items takes a collection of item ids, not one string: {items!r}"
        )
    names = frozenset(items)
    # Item ids are text: 1 would match no item, and the failure set up would never come.
    odd = [name for name in names if not isinstance(name, str)]
    if odd:
        raise TypeError(
            f"failing_print_items takes item ids as strings (the API's are text), got {odd[0]!r}"
        )
    return names


def store_id_problem(value: str | int) -> str | None:
    """What keeps ``value`` from being a store id the client takes, or None: served, a blank
    one could never be sent (the REST API answers "required" to it, 403 to any other)."""
    try:
        store_id_text(value, "store_id")
    except ConfigurationError as exc:
        return str(exc)
    return None


def _store_id(value: str | int) -> str:
    # The client takes a numeric store id and sends it as the string the REST API wants;
    # kept as given, 42 would never equal the "42" every create carries.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"store_id must be a string or an integer, got {value!r}")
    problem = store_id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return str(value)


def token_problem(token: object) -> str | None:
    """What keeps ``token`` from being an API token the client takes, or None: served, the
    banner's ``OMS_API_TOKEN`` line and ``client_kwargs()`` would not work."""
    if not isinstance(token, str):
        return f"api_token must be a str, got {type(token).__name__}"
    try:
        check_secret_value(token, "api_token")
    except ConfigurationError as exc:
        return str(exc)
    return None


def _credential(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    # One the client refuses, or takes as none set (empty): the banner's settings would not
    # work.
    problem = credential_problem(value, "username" if attribute.name == "username" else "password")
    if problem is not None:
        raise ValueError(problem)


def _token(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    problem = token_problem(value)
    if problem is not None:
        raise ValueError(problem)


def _moment(value: datetime | date | str) -> datetime:
    """``start`` as a datetime: a date is its midnight, text is read as ``--start`` reads it."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    problem = f"start must be a datetime, a date or an ISO 8601 date or time, got {value!r}"
    if not isinstance(value, str):
        raise TypeError(problem)
    try:
        return fromisoformat(value)
    except ValueError:
        raise ValueError(problem) from None


def _whole(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # A float or a text got through to the first request, an HTTP 500 naming nothing.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be a whole number, got {value!r}")


def _whole_or_none(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _whole(_instance, attribute, value)


def _a(cls: type[Any]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """A validator of values of ``cls`` (a dict of its fields is no ``Faults``)."""

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, cls):
            raise TypeError(
                f"{attribute.name} must be a {cls.__name__}, got {type(value).__name__}"
            )

    return check


def _non_negative(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    _whole(_instance, attribute, value)
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Faults:
    """Transport-level failures injected into both APIs (all off by default).

    Each request draws once from a random generator seeded with ``seed`` (the config seed
    when None): with probability ``error_rate`` it gets a 5xx, ``rate_limit_rate`` a 429,
    ``drop_rate`` a closed connection with no response (after the request was handled, so a
    write is applied), ``truncate_rate`` a body cut short. ``latency`` delays every request by a
    fixed number of seconds or a random one in a ``(min, max)`` range.
    """

    latency: float | tuple[float, float] = attrs.field(
        default=0.0, converter=_latency_pair, validator=_latency
    )
    error_rate: float = attrs.field(default=0.0, validator=_rate)
    error_statuses: tuple[int, ...] = attrs.field(default=(500, 502, 503, 504), converter=_statuses)
    rate_limit_rate: float = attrs.field(default=0.0, validator=_rate)
    retry_after: int | None = attrs.field(default=1, validator=_whole_or_none)
    drop_rate: float = attrs.field(default=0.0, validator=_rate)
    truncate_rate: float = attrs.field(default=0.0, validator=_rate)
    seed: int | None = attrs.field(default=None, validator=_whole_or_none)

    def __attrs_post_init__(self) -> None:
        rates = (self.error_rate, self.rate_limit_rate, self.drop_rate, self.truncate_rate)
        # fsum, and a rounding's worth of room: 0.2 + 0.4 + 0.3 + 0.1 adds up to 1.0000000000000002.
        total = math.fsum(rates)
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}, more than 1")
        if not self.error_statuses or any(
            not isinstance(s, int) or isinstance(s, bool) or not 500 <= s <= 599
            for s in self.error_statuses
        ):
            raise ValueError("error_statuses must be a non-empty tuple of 5xx codes")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must be >= 0 seconds or None")

    @property
    def enabled(self) -> bool:
        """True when any fault can happen."""
        return bool(
            self.latency
            or self.error_rate
            or self.rate_limit_rate
            or self.drop_rate
            or self.truncate_rate
        )


@attrs.frozen(kw_only=True)
class Quirks:
    """Rarer legacy-API behaviours of real servers, on top of the live shapes every answer has.

    By default the sandbox already answers as the live server does (dates as
    ``2016-02-01T00:00:00.000+00:00`` with ``null`` for unset ones, line ids as strings,
    statuses 4 and 7, undocumented keys, login keys in document URLs); these switches add more.

    ``omit_response_status``: successful answers lack ``response_status``.
    ``string_ids``: every id, ``total`` and amount comes as a string.
    ``numeric_order_ids``: order ids are the invoice number's digits alone (``"10001"``), as
    the live order LIVE-SERVER.md quotes has them (``"927602"``), not the docs' ``INV10001``
    (live shops send both forms, and others: ``"Order-27524"``); updates take them so.
    ``mixed_dates``: every other date is in the docs' ``2016-02-01T00:00:00`` shape instead.
    ``unknown_fields``: undocumented keys appear at several levels.
    ``html_login_page``: bad credentials, a disabled API or an unknown path answer HTTP 200
    with an HTML login page.
    ``empty_body_rate``: that share of legacy answers is HTTP 200 with an empty body.
    ``unstable_ties``: orders sharing the value they are sorted by come in an order of their
    own for each offset and limit asked, as MySQL's ``ORDER BY ... LIMIT`` may send them;
    paging by offset through such ties misses some and repeats others.
    ``condition_zone``: a time zone name (``"America/New_York"``): date conditions written
    without an offset are read as that zone's local time, as a server comparing the local
    times it stores does, where the API reference says UTC; the dates it sends stay UTC. A
    client reads it right with ``legacy_timezone`` set to the same zone.
    """

    omit_response_status: bool = attrs.field(default=False, validator=_flag)
    string_ids: bool = attrs.field(default=False, validator=_flag)
    numeric_order_ids: bool = attrs.field(default=False, validator=_flag)
    mixed_dates: bool = attrs.field(default=False, validator=_flag)
    unknown_fields: bool = attrs.field(default=False, validator=_flag)
    html_login_page: bool = attrs.field(default=False, validator=_flag)
    empty_body_rate: float = attrs.field(default=0.0, validator=_rate)
    unstable_ties: bool = attrs.field(default=False, validator=_flag)
    condition_zone: str | None = attrs.field(default=None, validator=_zone_name)

    @classmethod
    def all(cls, *, empty_body_rate: float = 0.0) -> Quirks:
        """Every quirk switched on but unstable ties (which change which orders offset
        paging reads) and a condition zone (which changes which orders a date condition
        finds), empty bodies only if a rate is given."""
        return cls(
            omit_response_status=True,
            string_ids=True,
            numeric_order_ids=True,
            mixed_dates=True,
            unknown_fields=True,
            html_login_page=True,
            empty_body_rate=empty_body_rate,
        )


@attrs.frozen(kw_only=True)
class Churn:
    """Data changing under a scan: applied at every ``manage_orders/find`` request.

    ``new_orders`` orders arrive (later dates, higher invoice numbers) and ``changed_orders``
    existing unshipped orders move one status forward (their ``date_modified`` moves too).
    """

    new_orders: int = attrs.field(default=0, validator=_non_negative)
    changed_orders: int = attrs.field(default=0, validator=_non_negative)

    @property
    def enabled(self) -> bool:
        """True when a find request changes the data."""
        return bool(self.new_orders or self.changed_orders)


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """Everything that defines a sandbox; the same config and seed give the same data.

    Dates are generated over ``days`` days from ``start`` (UTC). The sandbox has its own
    clock, starting at the end of that window and moving one second per write or arriving
    order, so answers stay deterministic. ``order_field_numbering`` picks which order doc the
    field numbers 6 and 7 follow: ``"api"`` (6 Date Shipped, 7 Date Invoiced) or
    ``"blueprint"`` (6 Date Invoiced, 7 Date Shipped). Print files of REST order items answer
    ``received``, then ``processing`` for ``print_polls - 1`` more polls, then ``ready`` (or
    ``processingfailed`` for item ids containing "fail" or listed in ``failing_print_items``).
    ``render_cache_mb`` bounds the memory kept for orders already rendered (0: none kept).
    ``log_requests`` keeps every request in ``state.requests`` for tests to inspect (about
    2 KB each, for as long as the sandbox runs); a long-running server turns it off.
    """

    orders: int = attrs.field(default=DEFAULT_ORDERS, validator=_non_negative)
    products: int = attrs.field(default=DEFAULT_PRODUCTS, validator=_non_negative)
    seed: int = attrs.field(default=1, validator=_whole)
    username: str = attrs.field(default="sandbox", validator=_credential)
    password: str = attrs.field(default="pw-sandbox-1", repr=_redacted, validator=_credential)
    api_token: str = attrs.field(default="tk-sandbox-1", repr=_redacted, validator=_token)
    store_id: str = attrs.field(default="1", converter=_store_id)
    legacy_api_enabled: bool = attrs.field(default=True, validator=_flag)
    order_field_numbering: FieldNumbering = "api"
    start: datetime = attrs.field(default=datetime(2024, 1, 1), converter=_moment)
    days: int = attrs.field(default=365, validator=_whole)
    print_polls: int = attrs.field(default=2, validator=_whole)
    failing_print_items: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    faults: Faults = attrs.field(default=Faults(), validator=_a(Faults))
    quirks: Quirks = attrs.field(default=Quirks(), validator=_a(Quirks))
    churn: Churn = attrs.field(default=Churn(), validator=_a(Churn))
    render_cache_mb: int = attrs.field(default=256, validator=_non_negative)
    log_requests: bool = attrs.field(default=True, validator=_flag)

    def __attrs_post_init__(self) -> None:
        if self.orders and not self.products:
            raise ValueError("orders need at least one product")
        if self.churn.new_orders and not self.products:
            raise ValueError("orders arriving by churn need at least one product")
        if self.order_field_numbering not in ("api", "blueprint"):
            raise ValueError("order_field_numbering must be 'api' or 'blueprint'")
        if self.days < 1:
            raise ValueError("days must be >= 1")
        start = self.start.replace(tzinfo=None)
        if start < EARLIEST_START or self.days > (LATEST_END - start).days:
            # Served, every answer holding a date past datetime's range would be a 500.
            raise ValueError(
                f"start and days must keep the orders between {EARLIEST_START.date()} and "
                f"{LATEST_END.date()}: start {start.isoformat()} plus {self.days} days does not"
            )
        if self.print_polls < 1:
            raise ValueError("print_polls must be >= 1")
        if self.start.tzinfo is not None and self.start.utcoffset():
            raise ValueError("start must be a naive UTC datetime or have a zero offset")
