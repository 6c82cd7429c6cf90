import hashlib
import json


def payload_json(payload) -> str:
    """A vendor payload as canonical JSON (sorted keys): what is fingerprinted, and what the sync's
    writer stores (jsonb keeps no key order, so the stored value is the same), encoded once."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


def payload_hash(payload) -> str:
    """A stable fingerprint of a vendor payload: equal data, equal hash, whatever the key order."""
    return payload_digest(payload_json(payload))
