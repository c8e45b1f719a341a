"""Credentials in what `docker info` reports are masked before a manifest records them; the rest is kept."""

from __future__ import annotations

from harness.results.masking import mask_credentials, mask_text

OLD_ENGINE_INFO = {
    "HTTPProxy": "http://alice:s3cret@proxy.example:3128",
    "HTTPSProxy": "https://bob:p%40ss@proxy.example:3129/",
    "NoProxy": "localhost,127.0.0.1",
    "RegistryConfig": {"Mirrors": ["https://token123@mirror.example/"], "IndexConfigs": {"docker.io": {
        "Name": "docker.io", "Secure": True}}},
    "Labels": ["build.proxy=http://carol:pw@10.0.0.1:8080", "team=storage"],
    "RegistryAuth": "eyJ1c2VybmFtZSI6ImEiLCJwYXNzd29yZCI6ImIifQ==",
    "Plugins": {"Authorization": ["authz-broker"]},
    "Driver": "overlay2",
    "DriverStatus": [["Backing Filesystem", "xfs"]],
}


def test_proxy_urls_keep_their_host_and_lose_user_and_password() -> None:
    masked = mask_credentials(OLD_ENGINE_INFO)
    assert masked["HTTPProxy"] == "http://***@proxy.example:3128"
    assert masked["HTTPSProxy"] == "https://***@proxy.example:3129/"
    assert masked["RegistryConfig"]["Mirrors"] == ["https://***@mirror.example/"]
    assert masked["Labels"] == ["build.proxy=http://***@10.0.0.1:8080", "team=storage"]
    assert masked["RegistryAuth"] == "***"
    assert "s3cret" not in repr(masked) and "carol" not in repr(masked) and "token123" not in repr(masked)


def test_everything_else_is_recorded_as_it_was() -> None:
    masked = mask_credentials(OLD_ENGINE_INFO)
    for key in ("NoProxy", "Plugins", "Driver", "DriverStatus"):
        assert masked[key] == OLD_ENGINE_INFO[key]
    assert masked["RegistryConfig"]["IndexConfigs"] == OLD_ENGINE_INFO["RegistryConfig"]["IndexConfigs"]
    assert mask_text("unix:///run/docker.sock and user@host") == "unix:///run/docker.sock and user@host"
