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


# Issue 18: the forms the old pattern missed, and the places it was not applied.
def test_a_scheme_less_proxy_setting_is_masked() -> None:
    assert mask_text("HTTP_PROXY=user:pw@proxy.example:3128") == "HTTP_PROXY=***@proxy.example:3128"
    assert mask_text("export https_proxy='bob:s3cr3t@proxy'") == "export https_proxy='***@proxy'"


def test_a_password_holding_slash_or_at_is_masked_whole() -> None:
    masked = mask_text("proxy http://alice:pa/ss@w0rd@proxy.example:3128/x done")
    assert masked == "proxy http://***@proxy.example:3128/x done"
    assert "pa/ss" not in mask_text("box_url: https://bob:a/b@c@boxes.example/ol7.box")


def test_buildkit_rawjson_output_is_masked_inside_its_base64() -> None:
    import base64
    import json

    output = base64.b64encode(b"using http://carol:hunter2hunter2@proxy:3128\n").decode()
    line = json.dumps({"logs": [{"vertex": "sha256:1", "stream": 1, "data": output}]})
    masked = json.loads(mask_text(line))
    assert base64.b64decode(masked["logs"][0]["data"]) == b"using http://***@proxy:3128\n"
    assert "hunter2hunter2" not in mask_text(line) and output not in mask_text(line)


def test_this_environments_secrets_are_masked_wherever_they_appear() -> None:
    from harness.results.masking import secrets_of

    secrets = secrets_of({"HTTPS_PROXY": "http://u:Sup3r/S@cret@p:1", "CI_JOB_TOKEN": "glcbt-abc123", "PATH": "/bin",
                          "NO_PROXY": "localhost"})
    assert secrets == ("Sup3r/S@cret", "glcbt-abc123")


def test_host_facts_reasons_and_step_errors_are_masked_by_the_writer(tmp_path) -> None:
    from harness.results.manifest import Manifest, MatrixRecord, RepetitionsRecord, ScenarioRecord
    from harness.results.writer import RunDirectory

    run = RunDirectory(tmp_path)
    run.write_manifest(Manifest(
        run_id="r", harness_version="0", command=["harness"], matrix=MatrixRecord(file="m.yaml", sha256="0"),
        repetitions=RepetitionsRecord(min=1, max=1), warmup=0, seed=1, baseline="s", started_at="now",
        host={"box_url": "https://bob:hunter2@boxes.example/x.box"},
        scenarios={"s": ScenarioRecord(reason="download of https://u:tok3n@dl.example/x failed")}))
    text = (tmp_path / "manifest.json").read_text()
    assert "hunter2" not in text and "tok3n" not in text and "boxes.example" in text
