"""Custom Gateway (now KornitX): Order-iT v2.2 orders, the supplier shipping and stock APIs,
status callbacks and HMAC-signed order pushes (vendor doc: custom-gateway-api.txt)."""
