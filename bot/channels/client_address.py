"""The citizen's network address, passed from the web server to Rasa over a path only the server
side can write to, for the per-client limit of dossier checks (knowledge.dossier_lookup).

Browsers reach Rasa's socket.io channel only through the web server's proxy
(web/socketio_proxy.py), so the channel sees the proxy's address, never the browser's. The proxy
therefore adds the header `X-Citizen-Client: <address> <signature>` to its own connection to
Rasa, the signature being an HMAC-SHA256 of the address with CLIENT_ADDRESS_SECRET (a secret
shared by the web server and Rasa only; scripts/env.sh generates it). The browser cannot set
headers on the proxy's upstream connection, and anyone connecting to Rasa directly cannot sign an
address without the secret, so an unsigned or badly signed header is ignored (no client then:
the per-code, per-conversation and overall limits still apply).

The channel does not pass the address on: it puts an opaque key (another HMAC of it) in the
message metadata, so no IP address reaches the tracker store, the event stream or the actions.

Standard library only: the web server imports this from its own virtualenv.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Mapping, Optional

CLIENT_HEADER = "X-Citizen-Client"
# How a WSGI/engine.io environ names that header.
CLIENT_ENVIRON_KEY = "HTTP_" + CLIENT_HEADER.upper().replace("-", "_")
SECRET_ENV = "CLIENT_ADDRESS_SECRET"
MAX_HEADER_LENGTH = 200


_HEX_DIGITS_AS_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def client_address_secret() -> Optional[str]:
    return os.environ.get(SECRET_ENV) or None


def _mac(secret: str, purpose: str, address: str) -> str:
    return hmac.new(secret.encode("utf-8"), f"{purpose}|{address}".encode("utf-8"), hashlib.sha256).hexdigest()


def signed_client_header(address: str, secret: str) -> str:
    """The header value the web server sends to Rasa for a browser at `address`."""
    return f"{address} {_mac(secret, 'client-address', address)}"


def verified_client_key(header: Optional[str], secret: Optional[str]) -> Optional[str]:
    """An opaque key of the client address in a correctly signed header, or None."""
    if not secret or not isinstance(header, str) or len(header) > MAX_HEADER_LENGTH:
        return None
    address, _, signature = header.strip().partition(" ")
    if not address or not hmac.compare_digest(signature, _mac(secret, "client-address", address)):
        return None
    # Letters only (hex digits 0-9 spelled g-p): the key travels in message metadata, where the
    # personal-data masking hides any run of 7+ digits, and a hex digest has such runs by chance.
    return _mac(secret, "client-key", address)[:32].translate(_HEX_DIGITS_AS_LETTERS)


def client_key_from_environ(environ: Mapping, secret: Optional[str]) -> Optional[str]:
    """The client key of a socket.io connection, from the header the web server's proxy signed."""
    return verified_client_key(environ.get(CLIENT_ENVIRON_KEY), secret)
