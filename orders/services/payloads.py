import hashlib
import json


def payload_hash(payload) -> str:
    """A stable fingerprint of a vendor payload: equal data, equal hash, whatever the key order."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
