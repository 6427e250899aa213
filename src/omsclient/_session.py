"""The session: one connection pool, authentication, flow control, retries and logging.

Every request of a client goes through :meth:`Session.send`. Resources describe a call as a
:class:`RequestSpec` and say how to read the answer; they know nothing of the rest.
"""

from __future__ import annotations

import codecs
import functools
import logging
import ssl
import time
from collections.abc import Callable
from typing import TypeVar, cast
from urllib.parse import urlencode, urlsplit

import anyio
import attrs
import httpx
import orjson

from omsclient._calls import observe_attempt, observe_call, observe_retry
from omsclient._chain import chain
from omsclient._concurrency import (
    check_event_loop,
    current_loop,
    plain_interrupts,
    raise_unheld,
)
from omsclient._headers import USER_AGENT, secret_values
from omsclient._inflate import ACCEPT_ENCODING, Inflater, unreadable
from omsclient._lifecycle import CutShort, Lifecycle, Progress, cut_short
from omsclient._logging import redact_http_logs
from omsclient._loop_bound import LoopBoundTransport
from omsclient._orphans import reclaim_orphans
from omsclient._process_bound import InsideAClient
from omsclient._proxies import ProxyNames, proxy_for
from omsclient._redact import Redactor, forget_frames
from omsclient._request import ApiKind, RequestSpec
from omsclient._responses import one_line, without_quoted_bytes
from omsclient._retry import RetryPolicy
from omsclient._settings import Settings
from omsclient._streams import OneChunkBody, finish
from omsclient._throttle import Throttle
from omsclient._untrusted import untrusted, verification_failure
from omsclient._validate import json_problems
from omsclient.errors import (
    ApiError,
    ClientClosedError,
    ConfigurationError,
    DecodeError,
    OmsError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    ValidationError,
)

__all__ = [
    "CAP_SETTING",
    "DEFAULT_ATTEMPT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "MAYBE_APPLIED",
    "Session",
    "say_maybe_applied",
    "sent_path",
]

_USER_CLIENT_CLOSED = (
    "the http_client given to the client was closed: keep it open while the client is used"
)

T = TypeVar("T")

logger = logging.getLogger("omsclient")

ResponseParser = Callable[[httpx.Response, RequestSpec], T]

# Failures that happen before a request leaves the machine: retrying them cannot apply a write
# twice, so even non-idempotent requests are retried.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
_RETRYABLE_READ_STATUS = frozenset({500, 502, 503, 504})
# 408: the server gave up waiting for the request (RFC 9110, 15.5.9), so never acted on it.
# Servers and proxies send one on a kept-alive connection they close for idleness, which a
# client that reuses the connection then reads as the answer to a request it never received.
_NEVER_RECEIVED = 408
# Answers whose status and headers decide what the client does (pause, retry, raise which
# error): one whose body cannot be read is still taken for what its status says.
_STATUS_IS_ENOUGH = _RETRYABLE_READ_STATUS | {429, _NEVER_RECEIVED}

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The largest answer body read, decoded. A page of 100 sandbox orders with every ``include_*``
is about 1.1 MB, so this takes a page of orders thirty times as large (about 330 kB each)."""
CAP_SETTING = "max_response_bytes"
"""The setting an answer over the cap is refused for, named in the refusal."""
# What an answer's stream becomes once its body is read (see ``Session._receive``).
_READ = httpx.ByteStream(b"")
DEFAULT_ATTEMPT_DEADLINE = 70.0
"""Seconds the attempt deadline counts for a read phase without a limit (``read=None``)."""


MAYBE_APPLIED = "; the server may have applied it: look before sending it again"
"""What the message of a write's error that may have applied ends with."""


def _may_have_applied(status: int) -> bool:
    """Whether a write answered with HTTP ``status`` whose body could not be read may have been
    applied, as the status says without it: a success may have, and so may a server or gateway
    failing partway (any 5xx: a Cloudflare 524 as a 503); a 4xx refused it."""
    return not 400 <= status < 500


def say_maybe_applied(error: OmsError) -> None:
    """End ``error``'s message with :data:`MAYBE_APPLIED`, once: the one next step that matters
    after a write, said where a log reader or a caller not looking at ``maybe_applied`` sees
    it."""
    if error.args and not str(error.args[0]).endswith(MAYBE_APPLIED):
        # httpx's texts end with a full stop ("...without sending a response."): no ".;".
        error.args = (f"{str(error.args[0]).removesuffix('.')}{MAYBE_APPLIED}", *error.args[1:])


def _writes(spec: RequestSpec) -> bool:
    """Whether ``spec`` changes something on the server (a create, an update, a delete)."""
    return not spec.idempotent or spec.method in ("PUT", "PATCH", "DELETE")


class _AttemptFailed(Exception):
    """Internal: an attempt failed with ``error``; ``retry`` tells whether another may help,
    ``maybe_applied`` whether the server may have acted on the request."""

    def __init__(
        self, error: OmsError, *, retry: bool, retry_after: float | None, maybe_applied: bool
    ) -> None:
        self.error = error
        self.retry = retry
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied


class _DeadlineExceeded(Exception):
    """Internal: an attempt outlived the session's attempt deadline."""


class _UserClientClosed(Exception):
    """Internal: the caller's ``http_client`` was closed by its owner during the call (while
    it waited to retry, or held in a pause the server asked for); nothing more was sent."""


class _Refused(Exception):
    """Internal: an answer refused before or while its body was read; ``problem`` says why
    ("with a body over ...")."""

    def __init__(self, response: httpx.Response, problem: str, redact: Redactor) -> None:
        # Not the response itself: this error stays in the chain of the DecodeError raised for
        # it (as ``__context__``), and the response keeps the request, whose form body holds the
        # password and whose headers hold the token. Its headers redacted, for the same reason.
        self.status_code = response.status_code
        self.headers = redact.headers(response.headers)
        self.problem = problem

    def answer(self) -> httpx.Response:
        """The answer as far as it was read, for the error's ``.response``: status and headers,
        no body, no request."""
        return httpx.Response(self.status_code, headers=self.headers)


def _holds_the_server(error: OmsError) -> bool:
    """Whether ``error`` says the server takes no request for a while, not only this one: a 429,
    or a 503 that says when to come back (``Retry-After``). Every request of the client then
    waits; sent meanwhile, they would fail the same way."""
    if isinstance(error, RateLimitError):
        return True
    return isinstance(error, ServerError) and error.status_code == 503 and bool(error.retry_after)


_ALIASES = {"x-gzip": "gzip"}


def _compressions(response: httpx.Response) -> list[str]:
    """The content codings of ``response`` (``identity`` is none; ``x-gzip`` is ``gzip``, as
    RFC 9110 asks of a recipient). An answer that has no content (a 204, a 304, one of
    ``Content-Length: 0``) has none, whatever its head says: there is nothing to refuse."""
    if response.status_code in (204, 304) or response.headers.get("content-length") == "0":
        return []
    codings = [c.strip() for c in response.headers.get("content-encoding", "").lower().split(",")]
    return [_ALIASES.get(c, c) for c in codings if c not in ("", "identity")]


def _tunnel(info: object) -> bool:
    """Whether a trace event's ``info`` is of the ``CONNECT`` that opens a tunnel through an
    HTTPS proxy, which httpcore sends with the request's own extensions: its headers going
    out are not the request's."""
    request = info.get("request") if isinstance(info, dict) else None
    return getattr(request, "method", None) == b"CONNECT"


class _Wire:
    """What httpcore reports of one attempt (its ``trace`` extension): whether it began opening
    a connection, and whether it began sending the request's headers on one.

    A connection begun with no request sent is proof the server never had the request. Other
    transports (aiohttp, a mock) report nothing, which proves nothing.
    """

    __slots__ = ("connecting", "enough", "headers", "redact", "sending", "went_out")

    def __init__(
        self, redact: Redactor | None, headers: httpx.Headers, went_out: Callable[[], None]
    ) -> None:
        self.connecting = False
        self.sending = False
        # An answer whose status and headers say what to do (a 429's pause, a 408's resend),
        # while its body is read: the attempt's deadline passing meanwhile ends with it.
        self.enough: httpx.Response | None = None
        # Not the request, which holds this in its extensions: a cycle through the session.
        self.redact, self.headers = redact, headers
        self.went_out = went_out

    async def __call__(self, event: str, info: object) -> None:
        if event.endswith((".connect_tcp.started", ".connect_unix_socket.started")):
            self.connecting = True
        elif event.endswith(".send_request_headers.started") and not _tunnel(info):
            self.sending = True
            self.went_out()  # the rate's spacing counts from here, the nearest to the wire
            if self.redact is not None:
                # The credentials it goes out with, once the caller's event hooks have run:
                # known before httpcore logs the answer's headers (see _receive).
                self.redact.sent(secret_values(self.headers))

    @property
    def unsent(self) -> bool:
        """Whether the attempt surely never sent its request."""
        return self.connecting and not self.sending

    def stalled(self) -> httpx.Response:
        """The answer in :attr:`enough`, whose body did not come in the attempt's time.

        Raises:
            _DeadlineExceeded: no such answer had come.
        """
        answer, self.enough = self.enough, None
        if answer is None:
            raise _DeadlineExceeded
        answer._content = b"body not read: stalled"
        return answer


class _FirstLoop:
    """The event loop a user's ``http_client`` was first used on.

    Its pool's connections belong to that loop; omsclient keeps a pool per loop only for the
    clients it makes (see :mod:`omsclient._loop_bound`).
    """

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop: object = None

    def check(self) -> None:
        """Note the running loop as the first, or raise ``ConfigurationError`` if another
        one was."""
        loop = current_loop()
        if self.loop is None:
            self.loop = loop
        elif loop is not self.loop:
            raise ConfigurationError(
                "the http_client you passed belongs to the event loop it was first used on, "
                "whose connections it holds: pass one per event loop, or let omsclient make its "
                "own (it keeps a pool per loop)"
            )


@functools.lru_cache(maxsize=16)
def _origin(base: str) -> str:
    """Base URL ``base`` without its path: ``scheme://host:port``, as written."""
    return base[: len(base) - len(urlsplit(base).path)]


@functools.lru_cache(maxsize=16)
def sent_path(base: str) -> str:
    """The path of base URL ``base`` as it is sent (percent-encoded, dot segments resolved;
    ``""`` for none)."""
    # Read as httpx reads the base with a path after it, dot segments and all ("/a//." is
    # sent as "/a//api/..."), that path then taken off.
    return httpx.URL(base + "/x").raw_path.decode("ascii")[: -len("/x")]


def _quoting_no_bytes(exc: BaseException) -> None:
    """Take the bytes h11 quotes out of the messages of ``exc`` and of the HTTP stack's errors
    under it, each holding the line it could not read ("illegal chunk header: bytearray(b'...')"):
    a chunk of the body, or the body an earlier answer left behind, which the error's message,
    each retry's log line and an error reporter walking the chain would carry."""
    for current in chain(exc):
        if type(current).__module__.partition(".")[0] in ("httpx", "httpcore", "h11"):
            current.args = tuple(
                without_quoted_bytes(a) if isinstance(a, str) else a for a in current.args
            )


def _first_message(exc: BaseException) -> str:
    """The first message in ``exc``'s chain: httpx's ``ReadError`` of a connection reset has
    none, nor has anyio's error inside it, but the ``OSError`` under them says what happened
    ("[Errno 104] Connection reset by peer").

    Where that message only says that attempts failed, and the chain goes on to what each met,
    that is added: anyio's connect says "All connection attempts failed" (Python 3.10's
    asyncio) or "all attempts to connect to 127.0.0.1:1 failed" (trio), and only the error
    under it, or the exception group under it, whether the server refused ("[Errno 111] ...
    Connection refused"), as the stack's own connect on Python 3.11 says at once.
    """
    text = ""
    for cause in chain(exc):
        members = getattr(cause, "exceptions", None)
        if isinstance(members, tuple) and members:
            met = "; ".join(dict.fromkeys(m for m in map(str, members[:3]) if m))
            if met:
                return f"{text} ({met})" if text else met
        if text and isinstance(cause, OSError) and cause.errno is not None:
            return text if str(cause) == text else f"{text} ({cause})"
        text = text or str(cause)
    return text


@attrs.define(slots=True)
class Session(InsideAClient):
    """Sends :class:`RequestSpec` s through one ``httpx.AsyncClient``.

    ``with_options`` gives a session with other retry or timeout settings that shares the
    pool, the throttle and the redactor, so per-call settings never fork the flow control.
    """

    settings: Settings
    http: httpx.AsyncClient
    throttle: Throttle
    redact: Redactor
    retry: RetryPolicy
    timeout: httpx.Timeout
    owns_http: bool = True
    # The environment's proxies, as the client's own transports took them when it was made.
    proxies: ProxyNames = attrs.field(factory=dict, repr=False)
    lifecycle: Lifecycle = attrs.field(factory=Lifecycle)
    # Not in the repr: a gateway's key may be among them, and error reporters that capture
    # frame locals (Sentry's default) print the repr of every ``self``.
    headers: dict[str, str] = attrs.field(
        factory=lambda: {"user-agent": USER_AGENT}, repr=lambda h: f"<{len(h)} headers>"
    )
    attempt_deadline: float | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    # Shared by with_options views, as the client is.
    user_client_loop: _FirstLoop = attrs.field(factory=_FirstLoop)
    # The client's own transports, each a pool per event loop: built before a request takes
    # its rate slot, since building one blocks the loop long enough for the next request's
    # wait to run out, which would then follow the first right behind.
    pools: tuple[LoopBoundTransport, ...] = ()
    # The client's own redactor (its credentials and the headers it was made with), on which
    # every view's is built: on the view's it came from, a view of a view kept each header
    # value replaced since, a worker rotating a gateway's key one more secret each time.
    client_redact: Redactor | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        redact_http_logs(self.redact)

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        headers: dict[str, str] | None = None,
        attempt_deadline: float | None = None,
    ) -> Session:
        """A session sharing this one's pool and limits, with other retry, timeout or header
        settings."""
        own = self.client_redact or self.redact
        return attrs.evolve(
            self,
            # Headers added for a view may carry a gateway's credentials: its errors redact them.
            redact=self.redact if headers is None else own.adding(secret_values(headers)),
            client_redact=own,
            retry=retry if retry is not None else self.retry,
            timeout=timeout if timeout is not None else self.timeout,
            headers=headers if headers is not None else self.headers,
            attempt_deadline=(
                attempt_deadline if attempt_deadline is not None else self.attempt_deadline
            ),
        )

    def _base(self, api: ApiKind) -> str | None:
        return self.settings.legacy_url if api == "legacy" else self.settings.rest_url

    def full_path(self, api: ApiKind, path: str) -> str:
        """``path``, below ``api``'s base URL, as the server sees it: after the base URL's own
        path, percent-encoded as sent (``/shop/api/v1/orders/7`` for ``/api/v1/orders/7``
        below ``https://h/shop``). Requests specs hold it, so errors, logs and spans name it;
        it holds no credential (the settings refuse a base URL with user info or a query)."""
        base = self._base(api)
        return path if base is None else sent_path(base) + path

    def _url(self, spec: RequestSpec) -> str | None:
        """The URL ``spec``, whose path is a :meth:`full_path`, is sent to; None when its API's
        URL is not set."""
        base = self._base(spec.api)
        return None if base is None else _origin(base) + spec.path

    def url_problem(self, api: ApiKind, path: str) -> str | None:
        """Why a request to ``path`` (a :meth:`full_path`) could not be sent, as building it
        would say; None when it can, or when ``api``'s URL is not set. For a call of many
        requests to refuse a bad one before it sends any."""
        base = self._base(api)
        try:
            httpx.URL(path if base is None else _origin(base) + path)
        except httpx.InvalidURL as exc:
            # A path id of tens of thousands of characters: httpx's own error names no argument.
            return f"the request's URL is invalid: {exc}"
        return None

    def _build(self, spec: RequestSpec) -> httpx.Request:
        try:
            request = self._build_request(spec)
        except httpx.InvalidURL as exc:
            said = self.url_problem(spec.api, spec.path) or f"the request's URL is invalid: {exc}"
            raise ValidationError(f"{spec.operation}: {said}") from None
        request.stream = OneChunkBody(request.content)
        return request

    def check_settings(self, api: ApiKind) -> None:
        """Raise :class:`ConfigurationError` when the settings lack what ``api``'s requests
        need: a job that writes before its first request (a sync opening its database) asks
        first."""
        s = self.settings
        if api == "legacy":
            if s.legacy_url is None:
                raise ConfigurationError(
                    "No legacy API URL: pass legacy_url= or set OMS_LEGACY_URL"
                )
            if not s.username or not s.password:
                raise ConfigurationError(
                    "The legacy API needs username= and password= (or OMS_USERNAME / OMS_PASSWORD)"
                )
        else:
            if s.rest_url is None:
                raise ConfigurationError("No REST API URL: pass rest_url= or set OMS_REST_URL")
            if not s.api_token:
                raise ConfigurationError("The REST API needs api_token= (or OMS_API_TOKEN)")

    def _build_request(self, spec: RequestSpec) -> httpx.Request:
        s = self.settings
        self.check_settings(spec.api)
        url = self._url(spec)
        assert url is not None  # check_settings refused a missing one
        # Only the codings inflated within the size cap (default_headers may name no others). It
        # replaces the one of a caller's http_client, which httpx sets from what is installed.
        headers = {"accept-encoding": ACCEPT_ENCODING, **self.headers, "accept": "application/json"}
        if spec.api == "legacy":
            # Credentials travel in the form body: a query string ends up in server and proxy logs.
            body = urlencode((*spec.form, ("username", s.username), ("password", s.password)))
            headers["content-type"] = "application/x-www-form-urlencoded"
            return self.http.build_request(
                spec.method,
                url,
                params=spec.query or None,
                content=body.encode(),
                headers=headers,
                timeout=self.timeout,
            )
        headers["authorization"] = f"Bearer {s.api_token}"
        content = None
        if spec.json is not None:
            problems = json_problems(spec.json)
            if problems:
                # orjson would send NaN and infinity as null, and fail on a 65-bit integer.
                raise ValidationError(f"{spec.operation}: " + "; ".join(problems))
            content = orjson.dumps(spec.json)
            headers["content-type"] = "application/json"
        return self.http.build_request(
            spec.method,
            url,
            content=content,
            headers=headers,
            timeout=self.timeout,
        )

    @property
    def deadline(self) -> float:
        """Seconds one whole attempt may take: ``attempt_deadline``, or else the connect
        timeout plus the read timeout (each phase's own timeout still applies inside it), a
        phase without a limit counting as :data:`DEFAULT_ATTEMPT_DEADLINE`."""
        if self.attempt_deadline is not None:
            return self.attempt_deadline
        t = self.timeout
        # A read limit turned off must not leave the attempt only the connect timeout.
        read = DEFAULT_ATTEMPT_DEADLINE if t.read is None else t.read
        return (t.connect or 0.0) + read

    async def send(self, spec: RequestSpec, parse: ResponseParser[T]) -> T:
        """Send ``spec``, retrying as the policy allows, and return ``parse(response)``.

        Every error raised is redacted (see :meth:`Redactor.error`): what ``parse`` builds
        from an answer may quote anything the server sent back.
        """
        if not self.owns_http:
            self.user_client_loop.check()
            if self.http.is_closed:
                # httpx's own RuntimeError would escape an `except OmsError`.
                raise ClientClosedError(f"{spec.operation}: {_USER_CLIENT_CLOSED}")
        # The call's record outside the lifecycle's scope: a call cut short by closing the
        # client ends its span with the ClientClosedError its caller gets.
        with (
            self.redact.sending(),
            observe_call(spec, self.redact, self._url(spec)),
        ):
            progress = Progress()
            try:
                async with self.lifecycle.call(spec.operation, progress):
                    with self.redact.errors():
                        return await self._send(spec, parse, progress)
            except ClientClosedError as closed:
                if closed.maybe_applied and _writes(spec):
                    say_maybe_applied(closed)
                raise
            except anyio.get_cancelled_exc_class():
                if spec.changes is not None:
                    cut_short(CutShort(spec.operation, spec.changes, progress.reached))
                raise

    async def _send(self, spec: RequestSpec, parse: ResponseParser[T], progress: Progress) -> T:
        request = self._build(spec)
        retry = 0
        # Once one attempt may have reached the server, the write may have been applied, whatever
        # later attempts say.
        maybe_applied = False
        while True:
            try:
                return await self._attempt(spec, request, parse, retry + 1, progress)
            except _UserClientClosed:
                # Nothing more was sent: what the earlier attempts make of maybe_applied stands
                # (False after a 429's pause).
                raise ClientClosedError(
                    f"{spec.operation}: {_USER_CLIENT_CLOSED}", maybe_applied=maybe_applied
                ) from None
            except _AttemptFailed as failed:
                self.redact.error(failed.error)  # before it is logged, not only when raised
                maybe_applied = maybe_applied or failed.maybe_applied
                progress.reached = maybe_applied  # through the pause before the next attempt
                delay = self.retry.delay(retry, failed.retry_after)
                held = _holds_the_server(failed.error)
                if held:
                    self.throttle.pause(delay)
                if not failed.retry or retry >= self.retry.max_retries:
                    error = failed.error
                    error.maybe_applied = maybe_applied
                    if maybe_applied and _writes(spec):
                        say_maybe_applied(error)
                    if isinstance(error, TransportError):
                        error.attempts = retry + 1
                    if retry:
                        # Ends the retries logged for this call; a call that failed at once is only
                        # its caller's to report. Out of retries, or ended by an answer no retry
                        # would change (a 503, then "not found").
                        logger.info(
                            "%s %s %s (%s) after attempt %d: %s: %s",
                            "giving up on" if failed.retry else "not retrying",
                            spec.method,
                            self.redact.whole(spec.path),
                            spec.operation,
                            retry + 1,
                            type(error).__name__,
                            error,
                        )
                    break
                observe_retry(type(failed.error).__name__)
                logger.info(
                    "retrying %s %s (%s) in %.2f s after attempt %d: %s: %s",
                    spec.method,
                    self.redact.whole(spec.path),
                    spec.operation,
                    delay,
                    retry + 1,
                    type(failed.error).__name__,
                    failed.error,
                    # For a reader of records that would rather not parse the message.
                    extra={
                        "next_attempt": retry + 2,
                        "max_attempts": self.retry.max_retries + 1,
                        # The wait the server asked for (a 429, a 503 with Retry-After), which
                        # holds every request of the client: no answer is being waited for.
                        "pause": delay if held else None,
                        # The failed attempt's answer, None when none came (a dropped
                        # connection, a timeout): a command says it answered, not that it hangs.
                        "status_code": getattr(failed.error, "status_code", None),
                    },
                )
                retry += 1
                if not held:
                    await anyio.sleep(delay)
                # Else the throttle's pause holds the retry, with every other request it holds:
                # sleeping on its own, it would leave with the first of them, two at once.
        # Raised out of the handler, and not kept in this frame, which its traceback keeps: its
        # __context__ would be the _AttemptFailed holding it, and the frame's local the error
        # itself, two cycles through the session. A client dropped after a failed call then left
        # its connections to the garbage collector, which warned of each socket.
        try:
            raise error from error.__cause__
        finally:
            del error

    async def ready(self) -> None:
        """Build this event loop's connection pools if they are not yet: an event loop the
        client cannot run on (trio older than 0.31), or a transport that cannot run on this
        one (aiohttp's, under trio), says so here, and a job that writes before its first
        request (a sync opening its database) asks first."""
        check_event_loop()
        for pool in self.pools:
            await pool.ready()

    async def _attempt(
        self,
        spec: RequestSpec,
        request: httpx.Request,
        parse: ResponseParser[T],
        attempt: int,
        progress: Progress,
    ) -> T:
        wire = _Wire(
            None if self.owns_http else self.redact, request.headers, self.throttle.went_out
        )
        request.extensions = {**request.extensions, "trace": wire}
        await self.ready()
        async with self.throttle.slot():
            # Handed to the transport: from here it may reach the server (waiting for a slot
            # of max_in_flight or the rate, it could not).
            progress.reached = True
            started = time.perf_counter()
            try:
                try:
                    with anyio.move_on_after(self.deadline) as scope:
                        response = await self._exchange(request)
                    # A busy server's status and Retry-After say all, however slowly its
                    # reason after them drips: a write refused so was never applied.
                    response = wire.stalled() if scope.cancelled_caught else response
                finally:
                    wire.enough = None  # the answer holds the request, which holds the wire
            except (httpx.HTTPError, _DeadlineExceeded, _Refused) as exc:
                elapsed = time.perf_counter() - started
                answer: httpx.Response | None = None
                cause: BaseException | None = exc
                if isinstance(exc, _Refused):
                    failed, answer, cause = self._refused(spec, exc), exc.answer(), None
                else:
                    failed = self._transport_failure(spec, exc, attempt, wire)
                # Spans and logs name the error the caller gets: the session's markers and
                # httpx's classes are no part of the API and change between versions.
                observe_attempt(attempt, elapsed, response=answer, error=failed.error)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s -> %s (attempt %d, %.1f ms) %s",
                        spec.method,
                        self.redact.whole(spec.path),
                        type(failed.error).__name__,
                        attempt,
                        elapsed * 1000,
                        spec.operation,
                    )
                try:
                    raise failed from cause
                finally:
                    # Held by this frame, which their tracebacks hold: a cycle keeping the
                    # failed call's frames (the client's pool among their variables) alive.
                    del failed, cause
            except BaseException:
                # Cancelled on the wire (or failed in a way no attempt's error covers): the
                # attempt still gets its span, which the call's end marks cancelled or failed.
                observe_attempt(attempt, time.perf_counter() - started)
                raise
        elapsed = time.perf_counter() - started
        observe_attempt(attempt, elapsed, response=response)
        if logger.isEnabledFor(logging.DEBUG):
            # An id the caller passed is all of a path that may hold a secret (a token given
            # as a UID); redacted only when the line is written.
            logger.debug(
                "%s %s -> %d (attempt %d, %.1f ms) %s",
                spec.method,
                self.redact.whole(spec.path),
                response.status_code,
                attempt,
                elapsed * 1000,
                spec.operation,
            )
        try:
            return parse(response, spec)
        except RateLimitError as exc:
            # The server refused before doing anything: safe to retry any request.
            raise _AttemptFailed(
                exc, retry=True, retry_after=exc.retry_after, maybe_applied=False
            ) from exc
        except ServerError as exc:
            retry = spec.idempotent and exc.status_code in _RETRYABLE_READ_STATUS
            raise _AttemptFailed(
                exc, retry=retry, retry_after=exc.retry_after, maybe_applied=True
            ) from exc
        except ApiError as exc:
            # Any other refusal: the server said no and did nothing; after a 408, nothing
            # stops another attempt, a write's too, and its Retry-After is waited for as a
            # 429's: the error says it, so a retry sent sooner would contradict it.
            retry = exc.status_code == _NEVER_RECEIVED
            retry_after = exc.retry_after if retry else None
            raise _AttemptFailed(
                exc, retry=retry, retry_after=retry_after, maybe_applied=False
            ) from exc
        except DecodeError as exc:
            # A body cut short or an empty answer is usually transient; an HTML page (a login
            # page, a wrong URL) or a page over its limit would come back the same.
            retry = spec.idempotent and exc.transient
            raise _AttemptFailed(
                exc, retry=retry, retry_after=None, maybe_applied=_may_have_applied(exc.status_code)
            ) from exc

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer, in a task of its own.

        Whatever cancels the caller (an anyio scope, ``asyncio.timeout``, a task cancelled)
        reaches the exchange as an anyio cancellation, which httpcore's shields hold off while
        it hands a connection back to the pool: cancelled by ``asyncio.timeout`` in the middle
        of that, a connection would stay ACTIVE for good. A failed or cancelled exchange then
        takes back any connection the pool was left holding for no request (see
        :mod:`omsclient._orphans`).
        """
        outcome: list[httpx.Response | Exception] = []

        async def run() -> None:
            try:
                outcome.append(await self._receive(request))
            except ssl.SSLError as exc:
                # A TLS alert after the handshake (a gateway asking for a client certificate)
                # comes out of httpx's transport as it is, an OSError the caller would take
                # for a failure of their own files: the request went out, and it failed so.
                failed = httpx.ReadError(f"TLS error after the request was sent: {exc}")
                failed.__cause__ = exc
                outcome.append(failed)
            except Exception as exc:
                outcome.append(exc)

        running = run()
        try:
            with plain_interrupts():
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(lambda: running)
        finally:
            # anyio (4.14 on) runs a task's coroutine inside one of its own: a task cancelled
            # before its first step (the loop ending, asyncio.run returning) never starts this
            # one, which would warn "never awaited" when collected. Closing it says it was not.
            running.close()
            if not outcome or isinstance(outcome[0], Exception):
                await reclaim_orphans(self.http)
        if isinstance(outcome[0], Exception):
            # An answer cut short leaves what was read of it (an echoed password, a login key)
            # in the variables of the frames that read it, httpx's and httpcore's coroutines
            # among them: all finished with the task that ran them.
            forget_frames(outcome[0], task_ended=True)
            raise_unheld(cast(Exception, outcome.pop()))
        return outcome[0]

    async def _receive(self, request: httpx.Request) -> httpx.Response:
        """The answer to ``request``, its body read in full unless it outgrows the cap."""
        # Whatever a user's http_client is set to: a redirect is never followed (a POST would
        # carry the password to wherever it points), and its auth never replaces ours.
        self.throttle.went_out()
        location: httpx.InvalidURL | None = None
        try:
            response = await self.http.send(request, stream=True, follow_redirects=False, auth=None)
        except RuntimeError:
            if self.http.is_closed:  # httpx's "the client has been closed"
                raise _UserClientClosed from None
            raise
        except httpx.InvalidURL as exc:
            # httpx makes the request a redirect points to even when it follows none: from a
            # Location that makes no URL (javascript:, data:) it raised InvalidURL, no
            # OmsError, where another unreadable Location is its protocol error.
            location = exc
        finally:
            wire = request.extensions.get("trace")
            if not self.owns_http and not (isinstance(wire, _Wire) and wire.sending):
                # What it went out with: a credential the client did not have when it was made
                # (set on the caller's http_client since, added by its event hook) is redacted
                # from this call's errors as the others are. The client's own has no such, and
                # httpcore's trace told the call already where it ran.
                self.redact.sent(secret_values(request.headers))
        if location is not None:
            # Raised outside the except block, as httpx raises its own: the answer is gone.
            raise httpx.RemoteProtocolError(
                f"Invalid URL in location header: {location}.", request=request
            )
        if response.status_code in _STATUS_IS_ENOUGH and isinstance(wire, _Wire):
            wire.enough = response
        phrase = response.extensions.get("reason_phrase")
        if phrase:
            # The status line's text is in the answer's repr, which error reporters print for
            # every frame holding it: a server may echo a credential there.
            redacted = self.redact.read_as_ascii(phrase.decode("ascii", "ignore")).encode()
            if redacted != phrase:
                response.extensions = {**response.extensions, "reason_phrase": redacted}
        codings = _compressions(response)
        inflater = Inflater.of(codings)
        # A gzip or deflate body read raw, and inflated no further than the cap allows.
        body = response.aiter_raw() if inflater else response.aiter_bytes()
        try:
            problem = unreadable(codings)
            if problem is None and len(codings) > 1:
                # httpx inflates each chunk whole, layer after layer: "gzip, gzip" turns 1 kB
                # into 400 MB in one step, before the cap below could look. No server sends
                # a stack of codings unless it means harm, so it is refused unread.
                problem = f"compressed {len(codings)} times over"
            if problem:
                # On one line, as server text is quoted: a coding may hold line separators.
                problem = one_line(f"{problem} (Content-Encoding: {', '.join(codings)})")
                if response.status_code in _STATUS_IS_ENOUGH:
                    # A busy or failing server's answer says what to do in its status and
                    # Retry-After (pause, retry); its body would only add to the message.
                    response._content = f"body not read: {problem}".encode()
                    return response
                raise _Refused(response, f"with a body {problem}; refused unread", self.redact)
            chunks: list[bytes] = []
            size = 0
            cap = self.max_response_bytes
            try:
                async for piece in body:
                    # One byte past the cap at most: that byte is enough to refuse the body.
                    chunk = inflater.inflate(piece, cap - size + 1) if inflater else piece
                    size += len(chunk)
                    if size > cap:
                        over = f"over the {cap:,}-byte cap ({CAP_SETTING})"
                        if response.status_code in _STATUS_IS_ENOUGH:
                            response._content = f"body not read: {over}".encode()
                            return response
                        raise _Refused(
                            response,
                            f"with a body {over}; refused after {size:,} bytes",
                            self.redact,
                        )
                    chunks.append(chunk)
            except httpx.DecodingError as exc:
                if response.is_success:
                    raise  # a body cut short inflates no further: a transport failure
                # An error answer's status says what failed (a 429's pause, a 408's resend);
                # a body that does not inflate must not turn it into a transport failure.
                bad = f"not the {', '.join(codings)} its Content-Encoding names ({exc})"
                if response.status_code in _STATUS_IS_ENOUGH:
                    response._content = f"body not read: {bad}".encode()
                    return response
                raise _Refused(response, f"with a body {bad}", self.redact) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
                if response.status_code not in _STATUS_IS_ENOUGH:
                    raise  # a body cut short or stalled: a transport failure
                # A busy server's status and Retry-After came whole: they say what to do (a
                # pause, a write never applied) however its reason after them ended.
                how = "stalled" if isinstance(exc, httpx.ReadTimeout) else f"cut short ({exc})"
                response._content = f"body not read: {how}".encode()
                return response
            # What Response.aread() stores: the body of a streamed answer, read by hand.
            content = b"".join(chunks)
            if content[:64].lstrip().startswith(codecs.BOM_UTF8):
                # A PHP file saved with a byte order mark sends it before the JSON (after the
                # line breaks of a file included before it): the standard library (httpx's
                # ``json()``) skips it, orjson and msgspec refuse it.
                content = content[content.index(codecs.BOM_UTF8) + len(codecs.BOM_UTF8) :]
            response._content = content
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()
                await finish(body)
            # httpx's stream refers back to its response: a cycle that only the garbage
            # collector frees, and with it the body. Replaced by an empty stream (the body is
            # read), the answer is freed as soon as its page is, not a collection later.
            response.stream = _READ
        return response

    def _refused(self, spec: RequestSpec, exc: _Refused) -> _AttemptFailed:
        error = DecodeError(
            f"{spec.operation}: {spec.method} {spec.path} answered HTTP {exc.status_code} "
            f"{exc.problem}",
            operation=spec.operation,
            method=spec.method,
            path=spec.path,
            status_code=exc.status_code,
            content_type=exc.headers.get("content-type", ""),
            snippet="",
            # Another attempt would read the same answer.
            transient=False,
        )
        return _AttemptFailed(
            error, retry=False, retry_after=None, maybe_applied=_may_have_applied(exc.status_code)
        )

    def _transport_failure(
        self,
        spec: RequestSpec,
        exc: httpx.HTTPError | _DeadlineExceeded,
        attempt: int,
        wire: _Wire,
    ) -> _AttemptFailed:
        """The error of an attempt that got no answer, as far as ``wire`` tells how far it got."""
        where = f"{spec.method} {spec.path}"
        unsent = wire.unsent
        if unsent or isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError)):
            # No connection: which server was tried is the first thing to check, and the path
            # alone does not say which of the two APIs' URLs it was.
            url = self._url(spec)
            where = f"{spec.method} {url or spec.path}"
            proxy = proxy_for(url, self.proxies) if url is not None and self.proxies else None
            if proxy is not None:  # the connection that failed may well be the proxy's
                where += f" through the proxy {proxy[0]} names ({proxy[1]})"
        kind: type[TransportError] = RequestTimeoutError
        unverified = verification_failure(exc)
        if isinstance(exc, _DeadlineExceeded):
            why = (
                "no connection opened in time"
                if unsent
                else "the answer came too slowly"
                if wire.sending
                # httpx's transport reports no wait for a connection of its pool, and other
                # transports (aiohttp, ASGI) report nothing: which of these it was is unknown
                # (aiohttp has no write timeout: a body the server stops reading ends here).
                else "no answer in time: waiting for a free connection, sending the request, "
                "or waiting for the answer"
            )
            message = (
                f"{spec.operation}: attempt deadline of {self.deadline:g} s passed on {where} "
                f"({why})"
            )
        elif isinstance(exc, httpx.TimeoutException):
            phase = type(exc).__name__.removesuffix("Timeout").lower() or "request"
            seconds = {
                "connect": self.timeout.connect,
                "read": self.timeout.read,
                "write": self.timeout.write,
                "pool": self.timeout.pool,
            }.get(phase)
            limit = f" of {seconds:g} s" if seconds is not None else ""
            pool = self.timeout.pool
            traced = wire.connecting or wire.sending
            if phase == "connect" and not traced and pool is not None and pool != seconds:
                # A transport httpcore does not trace (aiohttp) counts the wait for a free
                # connection in its connect timeout: which limit ran out is not told.
                limit += f" (or of {pool:g} s waiting for a free connection)"
            message = f"{spec.operation}: {phase} timeout{limit} on {where}"
        elif unverified is not None:
            kind, message = TransportError, f"{spec.operation}: {where}: {untrusted(unverified)}"
        else:
            # An answer that is no HTTP is quoted by aiohttp's parser whole (128 KB of it), and
            # every retry logs the message: on one line, cut as server text is.
            # The HTTP stack's text (a proxy's status line, which httpcore reads as ASCII,
            # dropping every other byte): what is left of a secret read so is redacted too.
            if isinstance(exc, httpx.ProtocolError):
                _quoting_no_bytes(exc)
            detail = one_line(self.redact.read_as_ascii(_first_message(exc))) or type(exc).__name__
            kind = TransportError
            message = f"{spec.operation}: {type(exc).__name__} on {where}: {detail}"
        error = kind(
            message, operation=spec.operation, method=spec.method, path=spec.path, attempts=attempt
        )
        error.__cause__ = exc
        # The attempt deadline, or a write timeout, can also end an attempt still connecting.
        not_sent = unsent or isinstance(exc, _NOT_SENT)
        # A server slow enough to use up a whole attempt (one that drips) does it again, and a
        # certificate not trusted is not trusted the next time: a retry would only multiply the
        # deadline the caller set, or delay the error.
        retry = (spec.idempotent or not_sent) and not (
            isinstance(exc, _DeadlineExceeded) or unverified
        )
        return _AttemptFailed(error, retry=retry, retry_after=None, maybe_applied=not not_sent)

    async def aclose(self) -> None:
        """Close the pool if this session owns it."""
        if self.owns_http:
            await self.http.aclose()
