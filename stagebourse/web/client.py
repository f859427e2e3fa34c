"""Who is asking, as far as the network tells: the client's address."""

from __future__ import annotations

from flask import request


def client_address() -> str:
    """The client's address. Behind ``TRUSTED_PROXIES`` reverse proxies, ProxyFix (installed
    by the factory) has already put the address they saw in ``remote_addr``; a client cannot
    forge it by sending its own X-Forwarded-For, since only the proxies' entries are read."""
    return request.remote_addr or "unknown"
