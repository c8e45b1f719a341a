"""Credentials never reach a results directory: run directories are shared and often world-readable.

`docker info` of older engines shows proxy URLs with their user and password, and registry settings can carry
tokens; anything recorded passes through `mask_credentials` first. Host names stay (they say which proxy was
used); the secret parts become `***`.
"""

from __future__ import annotations

import re
from typing import Any

#: `scheme://user:password@` or `scheme://token@` in any string.
URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
#: Keys whose whole value is a secret, whatever it looks like (RegistryAuth, IdentityToken; not Authorization).
SECRET_KEYS = re.compile(r"(auth|password|passwd|secret|token|credentials?)$", re.I)
MASK = "***"


def mask_credentials(value: Any, key: str = "") -> Any:
    """`value` with every credential replaced by ***; mappings and lists are walked, other values kept."""
    if isinstance(value, dict):
        return {k: mask_credentials(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_credentials(item, key) for item in value]
    if isinstance(value, str):
        if value and SECRET_KEYS.search(key):
            return MASK
        return mask_text(value)
    return value


def mask_text(text: str) -> str:
    """A line of text with the user and password of every URL in it masked (proxy settings, registry mirrors)."""
    return URL_CREDENTIALS.sub(lambda match: f"{match['scheme']}{MASK}@", text)
