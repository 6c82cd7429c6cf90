"""The fake vendor's client: no HTTP, it says what it was built with."""

from __future__ import annotations

from integrations.http import VendorClient, VendorRejected
from integrations.registry import HttpOptions


class FakeVendorClient(VendorClient):
    vendor = "Fake Vendor"

    def __init__(self, *, tenant: str, access_token: str, endpoint: str, options: HttpOptions):
        super().__init__(base_url=endpoint, secrets=[access_token], **vars(options))
        self.tenant, self.access_token, self.options = tenant, access_token, options

    def check(self) -> str:
        if self.access_token != "good-token":
            raise VendorRejected("the access token was refused", vendor=self.vendor, status=401)
        return f"Connected to {self.vendor} ({self.tenant}) at {self.base_url}."
