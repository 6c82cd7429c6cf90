"""The HTTP base every vendor client shares: one session, a timeout on every call, retries with
backoff on idempotent calls only, and one error hierarchy that never carries a credential.

Plain Python: nothing here imports Django models.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

RETRY_STATUSES = (500, 502, 503, 504)
# A plain 429 "too many requests" is a rate limit: waiting (Retry-After, else backoff) fixes it,
# as Stripe's and every major SDK's retry policy treats it. Clients whose vendor means "quota
# spent" by a 429 (Qstomizer's HD generation) build their session with `retry_429=False`.
RATE_LIMIT_STATUS = 429
# A body cut short or unreadable JSON on a GET: urllib3 never sees bodies, so the client asks
# again itself, this many more times, with backoff.
BODY_RETRIES = 3
EXCERPT_CHARS = 300
# A Retry-After longer than this is not slept through inside a call (urllib3 would sleep up to six
# hours): the call sleeps this long at most, and if the vendor is still busy it raises
# VendorRetryable for the task queue to wait instead.
RETRY_AFTER_MAX = 30

# File downloads (signed S3 / CDN links): what the bare download session retries, and the cap.
DOWNLOAD_RETRY_STATUSES = (502, 503, 504)
DOWNLOAD_MAX_BYTES = 500 * 1024 * 1024
DOWNLOAD_CHUNK = 1 << 16


class VendorError(Exception):
    """A vendor call failed. `str()` is safe to show staff and to log: no credential in it."""

    def __init__(self, message: str, *, vendor: str, status: int | None = None, excerpt: str = ""):
        self.message = message
        self.vendor = vendor
        self.status = status
        self.excerpt = excerpt
        super().__init__(message)

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.vendor}: {self.message}{status}"

    def __reduce__(self):
        # Picklable with every subclass's own attributes (code, retry_after, url, ...), although
        # their __init__ takes keyword arguments: Celery pickles a task's exception for
        # on_failure and the result backend, and wraps one it cannot pickle, losing its type.
        return _rebuild_error, (type(self), self.args, dict(self.__dict__))


def _rebuild_error(cls: type[VendorError], args: tuple, state: dict) -> VendorError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class VendorRetryable(VendorError):
    """Try again later: timeouts, connection failures, 5xx, "generation failed, retry"."""


class VendorRejected(VendorError):
    """Our request is wrong or not allowed (4xx, bad credentials, quota): retrying won't help."""


class VendorBadResponse(VendorRetryable):
    """The vendor answered with something we cannot read (malformed JSON, unexpected shape).
    Treated as retryable: such answers are usually a proxy's error page or a truncated body."""


class VendorUnreadableBody(VendorBadResponse):
    """The answer's body could not be read at all: cut short on the wire, or not JSON. Asking
    again usually gets a whole one, so idempotent GETs are retried (`VendorClient.get_json`)."""


class DownloadExpired(VendorRejected):
    """A signed download link was refused (403/410, "Request has expired"): this link will never
    work again, but a fresh one asked from the vendor may. `url` is the link without its query."""

    def __init__(self, message: str, *, vendor: str, status: int | None = None, excerpt: str = "", url: str = ""):
        super().__init__(message, vendor=vendor, status=status, excerpt=excerpt)
        self.url = url


@dataclass(frozen=True)
class DownloadResult:
    """What `VendorClient.download()` wrote. `url` is where the body came from after any
    redirect, without its query string: a signed link's signature is never kept."""

    size: int
    sha256: str
    content_type: str
    url: str


# What a client uses when it is not given the project's policy (`http_options()`).
@dataclass(frozen=True)
class HttpOptions:
    """The project's HTTP policy for every client (from settings: see http_options)."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    pool_size: int = 10


_DEFAULTS = HttpOptions()

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class _Retry(Retry):
    """urllib3's Retry without one surprise: it retries any 429 that carries a Retry-After
    header, even with 429 left out of `status_forcelist`, and a spent quota is not fixed by
    waiting. (The other, sleeping through a Retry-After of up to six hours inside the call, is
    capped by `retry_after_max=RETRY_AFTER_MAX` in `retry_policy()`.)"""

    RETRY_AFTER_STATUS_CODES = frozenset({503})


class _RateLimitRetry(_Retry):
    """The policy when a 429 is a rate limit: retried too, honouring its Retry-After (capped)."""

    RETRY_AFTER_STATUS_CODES = frozenset({RATE_LIMIT_STATUS, 503})


def retry_policy(
    *,
    retries: int,
    backoff: float,
    statuses: Iterable[int] = RETRY_STATUSES,
    retry_429: bool = False,
    methods: Iterable[str] = IDEMPOTENT_METHODS,
) -> Retry:
    """The one retry policy every session is built with (urllib3 `Retry` on the adapter):
    connection and read errors and `statuses` are retried `retries` times with exponential
    `backoff`, on idempotent `methods` only (a POST is never repeated blindly); a Retry-After is
    honoured up to RETRY_AFTER_MAX. `retry_429`: a 429 is a rate limit, retried like the rest;
    without it a 429 is never retried, even with a Retry-After (a spent quota)."""
    statuses = (*statuses, RATE_LIMIT_STATUS) if retry_429 else tuple(statuses)
    policy = _RateLimitRetry if retry_429 else _Retry
    return policy(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        status_forcelist=statuses,
        allowed_methods=frozenset(methods),
        backoff_factor=backoff,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
        raise_on_status=False,
    )


def retrying_session(
    retry: Retry, *, pool_size: int = 10, headers: Mapping[str, str] | None = None
) -> requests.Session:
    """A requests Session whose http and https adapters use `retry`, with `headers` on every call."""
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers or {})
    return session


def http_options(*, pool_size: int | None = None) -> HttpOptions:
    """The project's HTTP policy (timeouts, retries, backoff) from the VENDOR_HTTP_* settings,
    built in this one place for every client (`VendorSpec.client(config, http_options())`)."""
    from django.conf import settings

    defaults = _DEFAULTS
    return HttpOptions(
        connect_timeout=getattr(settings, "VENDOR_HTTP_CONNECT_TIMEOUT", defaults.connect_timeout),
        read_timeout=getattr(settings, "VENDOR_HTTP_READ_TIMEOUT", defaults.read_timeout),
        retries=getattr(settings, "VENDOR_HTTP_RETRIES", defaults.retries),
        backoff=getattr(settings, "VENDOR_HTTP_BACKOFF", defaults.backoff),
        pool_size=pool_size or defaults.pool_size,
    )


class VendorClient:
    """Base of every vendor client. Subclasses set `vendor` and call `request()` / `get_json()`."""

    vendor = "vendor"
    # Whether a 429 that is still there after the session's retries is VendorRetryable ("try
    # later", a rate limit) or VendorRejected (a quota: waiting won't fix it).
    retry_on_429 = False
    # Whether the session itself retries a 429 (with Retry-After or backoff) on idempotent calls.
    session_retries_429 = False
    # The statuses the vendor session retries (with 429 when session_retries_429).
    retry_statuses: tuple[int, ...] = RETRY_STATUSES

    def __init__(
        self,
        *,
        base_url: str,
        secrets: Iterable[str] = (),
        connect_timeout: float = _DEFAULTS.connect_timeout,
        read_timeout: float = _DEFAULTS.read_timeout,
        retries: int = _DEFAULTS.retries,
        backoff: float = _DEFAULTS.backoff,
        pool_size: int = _DEFAULTS.pool_size,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._secrets = [s for s in secrets if s]
        self._retries, self._backoff, self._pool_size = retries, backoff, pool_size
        self.session = session or self.build_session(retry_429=self.session_retries_429)
        self.body_retries = BODY_RETRIES if retries else 0
        self._download_session: requests.Session | None = None
        self.requests_made = 0

    def build_session(self, *, retry_429: bool) -> requests.Session:
        """A session with this client's retry policy (`retry_policy()`): its retries, backoff and
        `retry_statuses`, and 429 retried or not."""
        retry = retry_policy(
            retries=self._retries, backoff=self._backoff, statuses=self.retry_statuses, retry_429=retry_429
        )
        return retrying_session(retry, pool_size=self._pool_size)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def scrub(self, text: str) -> str:
        """Remove every credential this client knows from `text`."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.send(method, path, **kwargs)
        if response.status_code >= 400:
            raise self.error_for(response)
        return response

    def send(
        self, method: str, path: str, *, session: requests.Session | None = None, **kwargs: Any
    ) -> requests.Response:
        """One call through the vendor session (or `session`), whatever its status: network
        failures raise VendorRetryable, a body cut short VendorUnreadableBody; reading the status
        is left to the caller (`request()` does it)."""
        kwargs.setdefault("timeout", self.timeout)
        self.requests_made += 1
        return _send(session or self.session, method, self.url(path), vendor=self.vendor, **kwargs)

    def error_for(self, response: requests.Response, message: str | None = None) -> VendorError:
        status = response.status_code
        excerpt = self.scrub(response.text[:EXCERPT_CHARS])
        if message is None:
            message = self.describe_error(response) or _default_message(status)
        retryable = status >= 500 or (status == 429 and self.retry_on_429)
        cls = VendorRetryable if retryable else VendorRejected
        return cls(self.scrub(message), vendor=self.vendor, status=status, excerpt=excerpt)

    def describe_error(self, response: requests.Response) -> str:
        """A vendor-specific message for an error response; subclasses read their error body."""
        return ""

    def check(self) -> str:
        """The admin's *Test connection*: the vendor's cheapest documented read with this
        client's credentials, and what it found in words ("Connected: ..."). Raises VendorError
        (in words, never with a credential) when the vendor could not be read. Each client has one."""
        raise NotImplementedError(f"{type(self).__name__} has no check()")

    def error_in_body(self, response: requests.Response, *, status: int, message: str | None = None) -> VendorError:
        """The error for an answer whose HTTP status said success but whose body is an error (an
        envelope's `statusCode`, `"error": true`, a documented error text): exactly what
        `error_for()` gives the same body sent with HTTP `status`, so a vendor that answers 200
        with an error raises just as if it had said 4xx/5xx. Callers `raise` it."""
        as_sent = requests.Response()
        as_sent.status_code = status
        as_sent._content = response.content
        as_sent.encoding = response.encoding or "utf-8"
        as_sent.headers = response.headers
        as_sent.request = response.request
        as_sent.url = response.url
        return self.error_for(as_sent, message)

    def bad_response(
        self, response: requests.Response, message: str, *, cls: type[VendorBadResponse] | None = None
    ) -> VendorBadResponse:
        """The error for an answer we cannot use (not JSON, not the documented shape): a
        VendorBadResponse (or `cls`) saying what was wrong, with a short excerpt of the body;
        credentials scrubbed from both. Callers `raise` it."""
        return (cls or VendorBadResponse)(
            self.scrub(message),
            vendor=self.vendor,
            status=response.status_code,
            excerpt=self.scrub(response.text[:EXCERPT_CHARS]),
        )

    def get_json(self, path: str, *, parse: Callable[[requests.Response], Any] | None = None, **kwargs: Any) -> Any:
        """GET `path` and read its JSON with `parse` (default `parse_json`). A body cut short or
        unreadable (VendorUnreadableBody) is asked for again up to `body_retries` times, with
        the session's backoff: a GET is idempotent, and urllib3's Retry cannot see bodies. The
        last failure is raised as it is, a VendorBadResponse saying what was wrong."""
        parse = parse or self.parse_json
        for attempt in range(self.body_retries + 1):
            try:
                return parse(self.request("GET", path, **kwargs))
            except VendorUnreadableBody as exc:
                if attempt >= self.body_retries:
                    raise
                pause = min(self._backoff * 2**attempt, RETRY_AFTER_MAX)
                logger.info("%s: %s; asking again in %.1f s", self.vendor, exc.message, pause)
                time.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def parse_json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise self.bad_response(
                response, "the vendor's answer is not valid JSON", cls=VendorUnreadableBody
            ) from None

    # -- file downloads --------------------------------------------------------------------

    def download(
        self, url: str, fileobj: IO[bytes], *, max_bytes: int = DOWNLOAD_MAX_BYTES, chunk: int = DOWNLOAD_CHUNK
    ) -> DownloadResult:
        """Stream the file at `url` (a signed S3 / CDN link) into `fileobj`.

        The request goes through a bare session of its own, never the vendor session: it
        carries no API key, token or vendor header, since the link's host is not the vendor's
        API. It has the same timeout, and retries GET on connection and read errors and on
        502/503/504, with backoff.

        Raises VendorRetryable (timeout, connection error, 5xx, 408/429, a body cut short),
        DownloadExpired (403 or 410 on a signed link, or a 403 saying the request has expired:
        ask the vendor for a fresh link), and VendorRejected (404 "the file is not there", other
        4xx, a file larger than `max_bytes`). On an error `fileobj` may hold part of the body:
        the caller decides whether to rewind, truncate or delete it. Neither the errors nor the
        log show the link's query string (its signature).
        """
        shown = redact_url(url)
        if urlsplit(url).scheme not in ("http", "https"):
            raise VendorRejected(f"cannot download {shown!r}: not an http(s) URL", vendor=self.vendor)
        self.requests_made += 1
        logger.debug("%s: downloading %s", self.vendor, shown)
        response = _send(
            self.download_session,
            "GET",
            url,
            vendor=self.vendor,
            who=f"the file host ({shown})",
            stream=True,
            timeout=self.timeout,
        )
        with response:
            final = redact_url(response.url or url)
            if response.status_code >= 400:
                raise self._download_error(response, url, final)
            declared = _content_length(response)
            if declared is not None and declared > max_bytes:
                raise VendorRejected(
                    f"file too large: {final} is {declared} bytes, the limit is {max_bytes}",
                    vendor=self.vendor,
                    status=response.status_code,
                )
            digest = hashlib.sha256()
            size = 0
            try:
                for block in response.iter_content(chunk_size=chunk):
                    size += len(block)
                    if size > max_bytes:
                        raise VendorRejected(
                            f"file too large: {final} is over the limit of {max_bytes} bytes",
                            vendor=self.vendor,
                            status=response.status_code,
                        )
                    digest.update(block)
                    fileobj.write(block)
            except requests.RequestException as exc:
                raise VendorRetryable(
                    f"the download was cut short ({type(exc).__name__}) after {size} bytes from {final}",
                    vendor=self.vendor,
                    status=response.status_code,
                ) from None
            # Compare what came over the wire with Content-Length (the same unless the body was
            # compressed, which the download session asks the host not to do).
            received = response.raw.tell() if _encoded(response) else size
            if declared is not None and received < declared:
                raise VendorRetryable(
                    f"the download was cut short: {received} of {declared} bytes from {final}",
                    vendor=self.vendor,
                    status=response.status_code,
                )
        logger.info("%s: downloaded %s bytes from %s", self.vendor, size, final)
        return DownloadResult(
            size=size, sha256=digest.hexdigest(), content_type=response.headers.get("Content-Type", ""), url=final
        )

    @property
    def download_session(self) -> requests.Session:
        """A session with no vendor header or credential in it, for signed S3 / CDN links; it
        asks for the bytes as stored, so that their count can be checked against Content-Length
        and their hash is the file's hash."""
        if self._download_session is None:
            retry = retry_policy(
                retries=self._retries, backoff=self._backoff, statuses=DOWNLOAD_RETRY_STATUSES, methods={"GET"}
            )
            self._download_session = retrying_session(retry, headers={"Accept-Encoding": "identity"})
        return self._download_session

    def _download_error(self, response: requests.Response, url: str, shown: str) -> VendorError:
        status = response.status_code
        body = _read_excerpt(response)
        excerpt = self.scrub(_scrub_query(body, url, response.url))
        kwargs: dict[str, Any] = {"vendor": self.vendor, "status": status, "excerpt": excerpt}
        lowered = body.lower()
        says_expired = "request has expired" in lowered or ("accessdenied" in lowered and "expired" in lowered)
        signed = bool(urlsplit(url).query)
        if (status == 403 and says_expired) or (status in (403, 410) and signed):
            reason = "has expired" if says_expired or status == 410 else "was refused"
            return DownloadExpired(f"the download link {reason}: {shown}", url=shown, **kwargs)
        if status == 404:
            return VendorRejected(f"the file is not there: {shown}", **kwargs)
        if status >= 500 or status in (408, 429):
            return VendorRetryable(f"the file host could not serve {shown} now", **kwargs)
        return VendorRejected(f"the download of {shown} was refused", **kwargs)

    def close(self) -> None:
        self.session.close()
        if self._download_session is not None:
            self._download_session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _send(
    session: requests.Session, method: str, url: str, *, vendor: str, who: str = "the vendor", **kwargs: Any
) -> requests.Response:
    # `from None` below: requests' exceptions embed the full URL (a signed link's signature)
    # and sometimes headers, so the original is dropped rather than risk a secret in a traceback.
    try:
        return session.request(method, url, **kwargs)
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
        # Headers came, the body did not all come (Content-Length longer than what was sent, a
        # chunked body broken off): the answer is unreadable, and a GET may be asked again.
        raise VendorUnreadableBody(
            f"the answer from {who} was cut short ({type(exc).__name__})", vendor=vendor
        ) from None
    except requests.Timeout:
        raise VendorRetryable(f"{who} did not answer in time", vendor=vendor) from None
    except requests.ConnectionError as exc:
        # requests reports a read timeout that outlasted the adapter's retries as a
        # ConnectionError (MaxRetryError whose reason is urllib3's ReadTimeoutError).
        if isinstance(getattr(exc.args[0] if exc.args else None, "reason", None), ReadTimeoutError):
            raise VendorRetryable(f"{who} did not answer in time", vendor=vendor) from None
        raise VendorRetryable(f"could not connect to {who}", vendor=vendor) from None
    except requests.RequestException as exc:
        raise VendorRetryable(f"request to {who} failed ({type(exc).__name__})", vendor=vendor) from None


def redact_url(url: str) -> str:
    """`url` as scheme://host/path: no query string (a signed link's signature), no fragment,
    no user:password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<unreadable URL>"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _scrub_query(text: str, *urls: str | None) -> str:
    """Remove from `text` every query string of `urls` and each of their longer values (an S3
    error body echoes the signature it was given, in <SignatureProvided>)."""
    for url in urls:
        if not url:
            continue
        query = urlsplit(url).query
        if not query:
            continue
        text = text.replace(query, "***")
        for _name, value in parse_qsl(query, keep_blank_values=True):
            if len(value) >= 8:
                text = text.replace(value, "***")
    return text


def _read_excerpt(response: requests.Response) -> str:
    """The start of an error body, read without loading a huge one."""
    try:
        raw = next(response.iter_content(chunk_size=4096), b"")
    except requests.RequestException:
        return ""
    return raw.decode("utf-8", "replace")[:EXCERPT_CHARS]


def _content_length(response: requests.Response) -> int | None:
    try:
        value = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _encoded(response: requests.Response) -> bool:
    return response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")


class _RedactSignatures(logging.Filter):
    """urllib3 logs each request's URL at DEBUG, query included, and a signed download link's
    query is its signature. This filter blanks signature-like query values in those records."""

    PATTERN = re.compile(
        r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig|policy|"
        r"key-pair-id|token|googleaccessid)=)[^&\s\"')]*"
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self.PATTERN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = self.PATTERN.sub(r"\1***", record.msg)
        return True


for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactSignatures) for f in _logger.filters):
        _logger.addFilter(_RedactSignatures())


def _default_message(status: int) -> str:
    if status == 401:
        return "the credentials were refused"
    if status == 403:
        return "access denied"
    if status == 404:
        return "not found"
    if status == 429:
        return "too many requests"
    if status >= 500:
        return "the vendor had an internal error"
    return "the request was rejected"


def non_public_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """ "" for an address on the public internet; else what it is ("a loopback", "a link-local",
    "a private", "a non-public"): loopback, link-local (cloud metadata lives there), unspecified,
    private, reserved and multicast ranges are not places a vendor may make us send a request
    (OWASP's SSRF guidance). An IPv4-mapped IPv6 address counts as its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_global and not address.is_multicast:
        return ""
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_private:
        return "a private"
    return "a non-public"


def host_addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to now (raises OSError / UnicodeError when it does not)."""
    answers = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in answers]


def public_address_refusal(url: str) -> str:
    """ "" when `url` is http(s) and every address its host resolves to is a public one; else why
    not, in words. For fetching URLs a vendor gave us on our own initiative (the image proxy): a
    vendor must not make us read loopback, link-local (cloud metadata) or private addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = host_addresses(parts.hostname, port)
    except (OSError, ValueError, UnicodeError):
        return f"its host {parts.hostname} cannot be resolved"
    for address in addresses:
        kind = non_public_kind(address)
        if kind:
            return f"its host {parts.hostname} is {kind} address ({address})"
    return ""
