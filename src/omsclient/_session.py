"""The session: one connection pool, authentication, flow control, retries and logging.

Every request of a client goes through :meth:`Session.send`. Resources describe a call as a
:class:`RequestSpec` and say how to read the answer; they know nothing of the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlencode

import anyio
import attrs
import httpx
import orjson

from omsclient._calls import observe_attempt, observe_call, observe_retry
from omsclient._headers import USER_AGENT
from omsclient._lifecycle import Lifecycle
from omsclient._redact import Redactor
from omsclient._request import RequestSpec
from omsclient._retry import RetryPolicy
from omsclient._settings import Settings
from omsclient._throttle import Throttle
from omsclient.errors import (
    ConfigurationError,
    DecodeError,
    OmsError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)

__all__ = ["Session"]

T = TypeVar("T")

logger = logging.getLogger("omsclient")

ResponseParser = Callable[[httpx.Response, RequestSpec], T]

# Failures that happen before a request leaves the machine: retrying them cannot apply a write
# twice, so even non-idempotent requests are retried.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_READ_STATUS = frozenset({500, 502, 503, 504})


class _AttemptFailed(Exception):
    """Internal: an attempt failed with ``error``; ``retry`` tells whether another may help."""

    def __init__(self, error: OmsError, *, retry: bool, retry_after: float | None) -> None:
        self.error = error
        self.retry = retry
        self.retry_after = retry_after


@attrs.define(slots=True)
class Session:
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
    lifecycle: Lifecycle = attrs.field(factory=Lifecycle)
    headers: dict[str, str] = attrs.field(factory=lambda: {"user-agent": USER_AGENT})

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        headers: dict[str, str] | None = None,
    ) -> Session:
        """A session sharing this one's pool and limits, with other retry, timeout or header
        settings."""
        return attrs.evolve(
            self,
            retry=retry if retry is not None else self.retry,
            timeout=timeout if timeout is not None else self.timeout,
            headers=headers if headers is not None else self.headers,
        )

    def _build(self, spec: RequestSpec) -> httpx.Request:
        s = self.settings
        headers = {**self.headers, "accept": "application/json"}
        if spec.api == "legacy":
            if not s.legacy_url:
                raise ConfigurationError(
                    "No legacy API URL: pass legacy_url= or set OMS_LEGACY_URL"
                )
            if not s.username or not s.password:
                raise ConfigurationError(
                    "The legacy API needs username= and password= (or OMS_USERNAME / OMS_PASSWORD)"
                )
            # Credentials travel in the form body: a query string ends up in server and proxy logs.
            body = urlencode((*spec.form, ("username", s.username), ("password", s.password)))
            headers["content-type"] = "application/x-www-form-urlencoded"
            return self.http.build_request(
                spec.method,
                s.legacy_url + spec.path,
                content=body.encode(),
                headers=headers,
                timeout=self.timeout,
            )
        if not s.rest_url:
            raise ConfigurationError("No REST API URL: pass rest_url= or set OMS_REST_URL")
        if not s.api_token:
            raise ConfigurationError("The REST API needs api_token= (or OMS_API_TOKEN)")
        headers["authorization"] = f"Bearer {s.api_token}"
        content = None
        if spec.json is not None:
            content = orjson.dumps(spec.json)
            headers["content-type"] = "application/json"
        return self.http.build_request(
            spec.method,
            s.rest_url + spec.path,
            content=content,
            headers=headers,
            timeout=self.timeout,
        )

    async def send(self, spec: RequestSpec, parse: ResponseParser[T]) -> T:
        """Send ``spec``, retrying as the policy allows, and return ``parse(response)``."""
        async with self.lifecycle.call(spec.operation):
            with observe_call(spec, self.redact):
                return await self._send(spec, parse)

    async def _send(self, spec: RequestSpec, parse: ResponseParser[T]) -> T:
        request = self._build(spec)
        retry = 0
        while True:
            try:
                return await self._attempt(spec, request, parse, retry + 1)
            except _AttemptFailed as failed:
                if not failed.retry or retry >= self.retry.max_retries:
                    error = failed.error
                    if isinstance(error, TransportError):
                        error.attempts = retry + 1
                    raise error from error.__cause__
                delay = self.retry.delay(retry, failed.retry_after)
                if isinstance(failed.error, RateLimitError):
                    self.throttle.pause(delay)
                observe_retry(type(failed.error).__name__)
                logger.debug(
                    "retrying %s %s (%s) in %.2f s after attempt %d: %s",
                    spec.method,
                    spec.path,
                    spec.operation,
                    delay,
                    retry + 1,
                    failed.error,
                )
                retry += 1
                await anyio.sleep(delay)

    async def _attempt(
        self, spec: RequestSpec, request: httpx.Request, parse: ResponseParser[T], attempt: int
    ) -> T:
        async with self.throttle.slot():
            started = time.perf_counter()
            try:
                response = await self.http.send(request)
            except httpx.HTTPError as exc:
                elapsed = time.perf_counter() - started
                observe_attempt(attempt, elapsed, error=exc)
                logger.info(
                    "%s %s -> %s (attempt %d, %.1f ms) %s",
                    spec.method,
                    spec.path,
                    type(exc).__name__,
                    attempt,
                    elapsed * 1000,
                    spec.operation,
                )
                raise self._transport_failure(spec, exc, attempt) from exc
        elapsed = time.perf_counter() - started
        observe_attempt(attempt, elapsed, response=response)
        logger.info(
            "%s %s -> %d (attempt %d, %.1f ms) %s",
            spec.method,
            spec.path,
            response.status_code,
            attempt,
            elapsed * 1000,
            spec.operation,
        )
        try:
            return parse(response, spec)
        except RateLimitError as exc:
            # The server refused before doing anything: safe to retry any request.
            raise _AttemptFailed(exc, retry=True, retry_after=exc.retry_after) from exc
        except ServerError as exc:
            retry = spec.idempotent and exc.status_code in _RETRYABLE_READ_STATUS
            raise _AttemptFailed(exc, retry=retry, retry_after=exc.retry_after) from exc
        except DecodeError as exc:
            # A body cut short or an empty answer is usually transient; an HTML page is a login
            # page or a misconfigured URL, which no retry fixes.
            retry = spec.idempotent and "HTML" not in str(exc)
            raise _AttemptFailed(exc, retry=retry, retry_after=None) from exc

    def _transport_failure(
        self, spec: RequestSpec, exc: httpx.HTTPError, attempt: int
    ) -> _AttemptFailed:
        detail = self.redact(str(exc)) or type(exc).__name__
        where = f"{spec.method} {spec.path}"
        error: TransportError
        if isinstance(exc, httpx.TimeoutException):
            phase = type(exc).__name__.removesuffix("Timeout").lower() or "request"
            seconds = {
                "connect": self.timeout.connect,
                "read": self.timeout.read,
                "write": self.timeout.write,
                "pool": self.timeout.pool,
            }.get(phase)
            limit = f" of {seconds:g} s" if seconds is not None else ""
            error = RequestTimeoutError(
                f"{spec.operation}: {phase} timeout{limit} on {where}",
                operation=spec.operation,
                method=spec.method,
                path=spec.path,
                attempts=attempt,
            )
        else:
            error = TransportError(
                f"{spec.operation}: {type(exc).__name__} on {where}: {detail}",
                operation=spec.operation,
                method=spec.method,
                path=spec.path,
                attempts=attempt,
            )
        error.__cause__ = exc
        retry = spec.idempotent or isinstance(exc, _NOT_SENT)
        return _AttemptFailed(error, retry=retry, retry_after=None)

    async def aclose(self) -> None:
        """Close the pool if this session owns it."""
        if self.owns_http:
            await self.http.aclose()
