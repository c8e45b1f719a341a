"""Credentials never reach a results directory: run directories are shared and often world-readable.

One function, `mask_text`, is applied wherever text reaches `results/` (samples, the manifest with host facts and
scenario reasons, build logs of both builders, the inputs/ copies); `mask_credentials` walks structures with it.
It masks the user and password of URLs (a password may hold `/` or `@`: everything up to the last `@` of the word
goes), the scheme-less `user:password@host` of proxy settings (`HTTP_PROXY=bob:pw@proxy:3128`), the literal
secrets of this process's own environment (proxy passwords, `*_TOKEN`, `*_PASSWORD`), and the same inside the
base64 `data` of BuildKit's rawjson progress, which carries RUN output encoded. Host names stay (they say which
proxy was used); the secret parts become `***`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from typing import Any

#: `scheme://user:password@` (the password may hold `/` and `@`) or `scheme://token@`.
URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?:[^\s/@:\"']*:[^\s\"']*|[^\s/@:\"']+)@"
                             r"(?=[^\s@\"']+)")
#: A scheme-less `user:password@host` at the start of a value (`HTTP_PROXY=bob:pw@proxy`, `"bob:pw@proxy"`).
BARE_CREDENTIALS = re.compile(r"(?P<lead>^|[\s=\"',;(])(?P<user>[^\s/@:=\"',;()]+):(?!//)[^\s\"']*@(?=[A-Za-z0-9\[])")
#: Keys whose whole value is a secret, whatever it looks like (RegistryAuth, IdentityToken; not Authorization).
SECRET_KEYS = re.compile(r"(auth|password|passwd|secret|token|credentials?)$", re.I)
#: Environment variables whose value is, or holds, a secret.
SECRET_VARIABLES = re.compile(r"(proxy|password|passwd|secret|token|credentials?|auth)", re.I)
#: BuildKit rawjson log entries: `"data":"<base64 of the step's output>"`.
RAWJSON_DATA = re.compile(r'(?P<key>"data"\s*:\s*")(?P<data>[A-Za-z0-9+/]+={0,2})"')
MASK = "***"
#: Shorter literal secrets are not masked on their own: masking "a" everywhere would destroy every log.
MIN_LITERAL = 6


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
    """`text` with every credential masked: URL and proxy user:password, this environment's secrets, and the same
    inside BuildKit's base64-encoded output."""
    if '"data"' in text:
        text = RAWJSON_DATA.sub(_mask_encoded, text)
    text = URL_CREDENTIALS.sub(lambda match: f"{match['scheme']}{MASK}@", text)
    text = BARE_CREDENTIALS.sub(lambda match: f"{match['lead']}{MASK}@", text)
    for secret in environment_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _mask_encoded(match: re.Match[str]) -> str:
    try:
        decoded = base64.b64decode(match["data"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return match[0]
    masked = mask_text(decoded)
    if masked == decoded:
        return match[0]
    return f'{match["key"]}{base64.b64encode(masked.encode()).decode()}"'


@functools.cache
def environment_secrets() -> tuple[str, ...]:
    """The secrets this process was given in its environment, longest first (so a longer one is masked whole)."""
    return secrets_of(dict(os.environ))


def secrets_of(environment: dict[str, str]) -> tuple[str, ...]:
    found: set[str] = set()
    for name, value in environment.items():
        if not SECRET_VARIABLES.search(name) or not value:
            continue
        if "proxy" in name.lower():
            found.update(_url_passwords(value))
        else:
            found.add(value)
    return tuple(sorted((s for s in found if len(s) >= MIN_LITERAL), key=lambda s: (-len(s), s)))  # longest first


def _url_passwords(value: str) -> list[str]:
    """The passwords in a proxy setting (`http://u:p@h`, `u:p@h`, a comma-separated list of either)."""
    found = []
    for item in value.split(","):
        userinfo = item.split("://", 1)[-1].rpartition("@")[0]
        if userinfo:
            found.append(userinfo.partition(":")[2] or userinfo)
    return found
