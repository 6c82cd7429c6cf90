"""The HTTP base every vendor client shares: one session, a timeout on every call, retries with
backoff on idempotent calls only, and one error hierarchy that never carries a credential.

Plain Python: nothing here imports Django models.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

RETRY_STATUSES = (500, 502, 503, 504)
EXCERPT_CHARS = 300


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


class VendorRetryable(VendorError):
    """Try again later: timeouts, connection failures, 5xx, "generation failed, retry"."""


class VendorRejected(VendorError):
    """Our request is wrong or not allowed (4xx, bad credentials, quota): retrying won't help."""


class VendorBadResponse(VendorRetryable):
    """The vendor answered with something we cannot read (malformed JSON, unexpected shape).
    Treated as retryable: such answers are usually a proxy's error page or a truncated body."""


class VendorClient:
    """Base of every vendor client. Subclasses set `vendor` and call `request()` / `get_json()`."""

    vendor = "vendor"
    # Most vendors' 429 means "quota exhausted", which waiting a few seconds won't fix.
    retry_on_429 = False

    def __init__(
        self,
        *,
        base_url: str,
        secrets: Iterable[str] = (),
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        pool_size: int = 10,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._secrets = [s for s in secrets if s]
        self.session = session or self._build_session(retries=retries, backoff=backoff, pool_size=pool_size)
        self.requests_made = 0

    @staticmethod
    def _build_session(*, retries: int, backoff: float, pool_size: int) -> requests.Session:
        # Only idempotent methods are retried; a POST is never repeated blindly.
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}),
            backoff_factor=backoff,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size)
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

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
        kwargs.setdefault("timeout", self.timeout)
        url = self.url(path)
        self.requests_made += 1
        # `from None` everywhere below: requests' exceptions embed the full URL and sometimes
        # headers, so the original is dropped rather than risk a credential in a traceback.
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout:
            raise VendorRetryable("the vendor did not answer in time", vendor=self.vendor) from None
        except requests.ConnectionError:
            raise VendorRetryable("could not connect to the vendor", vendor=self.vendor) from None
        except requests.RequestException as exc:
            raise VendorRetryable(f"request failed ({type(exc).__name__})", vendor=self.vendor) from None
        if response.status_code >= 400:
            raise self.error_for(response)
        return response

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

    def get_json(self, path: str, **kwargs: Any) -> Any:
        return self.parse_json(self.request("GET", path, **kwargs))

    def parse_json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise VendorBadResponse(
                "the vendor's answer is not valid JSON",
                vendor=self.vendor,
                status=response.status_code,
                excerpt=self.scrub(response.text[:EXCERPT_CHARS]),
            ) from None

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


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
