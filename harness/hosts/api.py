"""Talking to a docker daemon's unix socket before there is a client: is it up, and which API does it speak.

Both backends wait on `/_ping` (a private daemon starting, an SSH forward opening) and then make a client that
speaks the daemon's own API version, capped at what the docker SDK knows — one request, no "auto" negotiation.
"""

from __future__ import annotations

import http.client
import socket
from pathlib import Path

import docker.constants

from harness.errors import EnvironmentNotAble


class UnixHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP over a daemon's unix socket: for /_ping before a client exists, and for the observers' own
    long-lived connections (events, goroutine dumps) beside the docker client's."""

    def __init__(self, path: Path, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def ping(socket_path: Path, timeout: float = 10.0) -> str | None:
    """The daemon's API version (the `API-Version` header of GET /_ping), or None while nothing answers."""
    connection = UnixHTTPConnection(socket_path, timeout)
    try:
        connection.request("GET", "/_ping")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            return None
        return response.getheader("API-Version") or docker.constants.MINIMUM_DOCKER_API_VERSION
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def client_api_version(server: str, where: str) -> str:
    """The API version to speak: the daemon's own, capped at what this docker SDK knows.

    A fixed version rather than "auto" (one more request per client) and rather than the SDK's newest (an 18.09
    engine speaks 1.39 and refuses newer clients); engines from 17.x to 28 all fall inside the range.
    """
    low, high = docker.constants.MINIMUM_DOCKER_API_VERSION, docker.constants.DEFAULT_DOCKER_API_VERSION
    if _version_tuple(server) < _version_tuple(low):
        raise EnvironmentNotAble(f"the docker daemon on {where} speaks API {server}; the docker SDK needs {low} "
                                 f"or newer (engine 1.12+): upgrade the engine")
    return min(server, high, key=_version_tuple)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
