"""Facts that travel with a run: the machine measured on, and each daemon as `docker version`/`docker info` saw it.

Both are masked before they are recorded: `docker info` can show proxy credentials (see masking.py).
"""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path
from typing import Any

import docker

from harness.machine.knobs import read_overlay_parameters
from harness.results.masking import mask_credentials


def machine_facts() -> dict[str, Any]:
    return mask_credentials({
        "hostname": socket.gethostname(),
        "kernel": platform.release(),
        "os": _os_release().get("PRETTY_NAME", platform.system()),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        "overlay_parameters": read_overlay_parameters(),
    })


def docker_facts(api: docker.APIClient) -> dict[str, Any]:
    info = api.info()
    return mask_credentials({"docker_version": api.version(), "docker_info": info, "driver_status": driver_status(info)})


def driver_status(info: dict[str, Any]) -> dict[str, str]:
    """`DriverStatus` as a mapping, with the driver itself under "Driver" (what `expect` is checked against)."""
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or [])}
    return {"Driver": str(info.get("Driver")), **status}


def _os_release() -> dict[str, str]:
    path = Path("/etc/os-release")
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value.strip('"') for key, value in pairs}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None
