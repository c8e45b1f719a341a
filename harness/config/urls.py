"""An engine tarball's `url:`, checked at validate: what urllib would choke on (or fetch forever) is refused here.

Allowed: https with a host name or address and a port in range; http to this machine's loopback only (a test
server); `file:` naming an existing regular file (never /dev/zero, a FIFO or a directory). The sha256 pins the
content either way; these rules keep the fetch itself bounded and its failures clear.
"""

from __future__ import annotations

import ipaddress
import os
import stat
import urllib.parse

from harness.config.limits import HOST_LABEL

MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = ("localhost",)


def engine_url_complaint(url: str) -> str | None:
    """Why `url` cannot be fetched as an engine tarball, or None."""
    if len(url) > MAX_URL_LENGTH or not url.isprintable() or any(c.isspace() for c in url):
        return f"must be one URL of at most {MAX_URL_LENGTH} printable characters, without spaces or newlines"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"{url!r:.120} is not a usable URL ({error})"
    if parts.scheme == "file":
        return _file_complaint(parts)
    if parts.scheme not in ("https", "http"):
        return (f"{url!r:.120} must start with https:// (or be a file: URL of a tarball on this machine), e.g. "
                "https://download.docker.com/linux/static/stable/x86_64/docker-28.5.2.tgz")
    host = parts.hostname or ""
    if not _is_host(host):
        return f"{url!r:.120} names no valid host"
    if parts.scheme == "http" and not _is_loopback(host):
        return f"{url!r:.120}: use https (plain http is allowed only to this machine's loopback, for a test server)"
    if port == 0:
        return f"{url!r:.120}: port 0 is not a port to fetch from"
    return None


def _file_complaint(parts: urllib.parse.SplitResult) -> str | None:
    if parts.netloc not in ("", "localhost"):
        return f"file://{parts.netloc}/…: a file: URL names a file on this machine (file:///path/docker.tgz)"
    path = urllib.parse.unquote(parts.path)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as error:
        return f"file:{path!r:.120} cannot be read ({getattr(error, 'strerror', None) or error})"
    if not stat.S_ISREG(info.st_mode):
        return f"file:{path!r:.120} is not a regular file (a tarball is expected)"
    return None


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.rstrip(".").split(".")
        return bool(host) and len(host) <= 253 and all(HOST_LABEL.fullmatch(label) for label in labels)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES
