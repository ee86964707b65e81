"""Which addresses outgoing webhooks may call (SSRF): in production only public ones over https; the host is
resolved when the endpoint is registered and again at every send, and the request goes to the address that was
checked (pinned), so a DNS answer that changes between the check and the connection cannot reach inside.

HOOKS_ALLOW_PRIVATE_ADDRESSES (local development and tests) lets http and private or loopback addresses through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressRefused(Exception):
    """The URL is one we will not call (the message says why, for the owner)."""


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    url: str  # the URL with its host replaced by the checked address
    host: str  # the original host[:port]: the Host header
    server_name: str  # the original host name: TLS's server name and certificate check
    address: str


def url_check(url: str) -> PinnedTarget:
    """The URL resolved to an address we may call. Raises AddressRefused."""
    parts = urlsplit(url)
    allow_private = settings.HOOKS_ALLOW_PRIVATE_ADDRESSES
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise AddressRefused(_("The address must start with https://."))
    if not parts.hostname:
        raise AddressRefused(_("The address has no host name."))
    if parts.username or parts.password:
        raise AddressRefused(_("The address must not carry a user name or password."))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(_("The host %(host)s could not be found.") % {"host": parts.hostname}) from exc
    addresses = sorted({str(info[4][0]) for info in infos})
    if not allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if not ip.is_global or ip.is_multicast:
                raise AddressRefused(
                    _("The host %(host)s resolves to a private or reserved address.") % {"host": parts.hostname}
                )
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return PinnedTarget(
        url=parts._replace(netloc=netloc).geturl(),
        host=parts.netloc.rsplit("@", 1)[-1],
        server_name=parts.hostname,
        address=address,
    )
