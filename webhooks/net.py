"""Sending to a URL a host gave us without letting it reach inside our network (SSRF).

The host name is resolved once; every address it resolves to must be public (loopback only
when WEBHOOKS_ALLOW_LOOPBACK, the development default); the request then goes to that very
address, with the original Host header and TLS server name, so a DNS answer that changes
between the check and the connection (rebinding) cannot redirect it. Redirects are not followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings


class UnsafeURL(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    url: str  # with the pinned address in place of the host name
    host_header: str
    sni_hostname: str | None


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.is_loopback:
        return settings.WEBHOOKS_ALLOW_LOOPBACK
    return address.is_global and not address.is_multicast


def resolve(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("Only http(s) URLs with a host name are accepted.")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not accepted; use the signing secret.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"{parts.hostname} does not resolve.") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(_allowed(address) for address in addresses):
        raise UnsafeURL(f"{parts.hostname} resolves to an address that is not public.")
    pinned = addresses[0]
    netloc = f"[{pinned}]:{port}" if pinned.version == 6 else f"{pinned}:{port}"
    default_port = parts.port is None
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=parts.hostname if default_port else f"{parts.hostname}:{port}",
        sni_hostname=parts.hostname if parts.scheme == "https" else None,
    )


def post(url: str, *, body: bytes, headers: dict[str, str]) -> int:
    """POST to the pinned address; the endpoint's status code (its body is never read)."""
    target = resolve(url)
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    with httpx.Client(timeout=settings.WEBHOOKS_TIMEOUT_SECONDS, follow_redirects=False) as client:
        request = client.build_request(
            "POST",
            target.url,
            content=body,
            headers={**headers, "Host": target.host_header, "Content-Type": "application/json"},
            extensions=extensions,
        )
        response = client.send(request, stream=True)
        response.close()
        return response.status_code
