"""The origins of the portal pages that embed the widget (PORTAL_ORIGINS, comma-separated),
the only browser origins the socket.io channel, Rasa's CORS and the web server's proxy accept."""

from __future__ import annotations

import os
from typing import List


def portal_origins(raw: str | None = None) -> List[str]:
    raw = os.environ.get("PORTAL_ORIGINS", "") if raw is None else raw
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]
