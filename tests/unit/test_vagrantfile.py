"""The Vagrantfile and harness/config/model.py read the same scenario files the same way.

The Vagrantfile's Ruby (loaded with plain `ruby`, without Vagrant) is asked for its schema, its verdict on each
file and the provisioning environment it derives; the answers must match config.py and `provision_env`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from harness import config
from harness.errors import InputError
from harness.hosts.ssh import provision_env

REPO = Path(__file__).resolve().parents[2]
VAGRANTFILE = REPO / "Vagrantfile"
#: Keys the Vagrantfile knows ahead of config.py (proposed: kernel.package, the kernel the VM boots).
PENDING_IN_CONFIG = {"kernel.package"}

pytestmark = pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not installed (it comes with vagrant)")

RUBY_REPORT = """
load ARGV.shift
require "json"
report = {"schema" => HarnessScenarios::SCHEMA, "files" => {}}
ARGV.each do |path|
  begin
    scenario = HarnessScenarios.load(path)
    report["files"][path] = {"ok" => true, "vagrant" => !scenario.nil?,
                             "env" => scenario && scenario.provision_env,
                             "shell_safe" => scenario && HarnessScenarios.shell_safe(scenario.provision_env)}
  rescue HarnessScenarios::Mistake => e
    report["files"][path] = {"ok" => false, "error" => e.message}
  end
end
puts JSON.generate(report)
"""


def ruby_report(*paths: Path) -> dict:
    result = subprocess.run(["ruby", "-e", RUBY_REPORT, str(VAGRANTFILE), *map(str, paths)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def flatten(schema: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in schema.items():
        keys |= flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return keys


def config_keys() -> set[str]:
    """The keys config.py reads for a vagrant scenario, from its dataclasses (field name = YAML key)."""
    def fields(cls: type, prefix: str) -> set[str]:
        return {f"{prefix}{f.name}" for f in dataclasses.fields(cls)}

    return ({"description"} | fields(config.VagrantHost, "host.") | fields(config.Engine, "engine.")
            | fields(config.Storage, "storage.") | fields(config.OverlayKnobs, "kernel.overlay.")
            | fields(config.Expect, "expect."))


def test_the_vagrantfile_reads_the_keys_config_py_reads() -> None:
    ruby = flatten(ruby_report()["schema"])
    python = config_keys()
    assert python <= ruby, f"config.py keys the Vagrantfile does not know: {sorted(python - ruby)}"
    assert ruby - python <= PENDING_IN_CONFIG, f"Vagrantfile keys config.py lacks: {sorted(ruby - python)}"


def test_provisioning_environment_is_the_same_from_ruby_and_python(tmp_path: Path) -> None:
    tricky = tmp_path / "scenarios" / "tricky.yaml"
    tricky.parent.mkdir()
    tricky.write_text(textwrap.dedent("""\
        host: {type: vagrant, box: some/box, box_version: "7.5", extra_disk_gb: 12, docker_socket: /run/d.sock}
        engine: {package: docker.io, version: "20.10"}
        storage:
          driver: devicemapper
          direct_lvm: true
          options: {dm.basesize: 20G, dm.use_deferred_removal: true, dm.min_free_space: 10, odd: 'a"b$c`d\\\\e'}
        kernel: {overlay: {metacopy: off}}
        expect: {driver: devicemapper, native_overlay_diff: false}
        """))
    paths = sorted((REPO / "scenarios").glob("*.yaml")) + [tricky]
    report = ruby_report(*paths)["files"]
    vagrant_ones = 0
    for path in paths:
        answer = report[str(path)]
        assert answer["ok"], answer
        scenario = config.load_scenario(path)
        assert answer["vagrant"] == isinstance(scenario.host, config.VagrantHost), path
        if answer["vagrant"]:
            vagrant_ones += 1
            assert answer["env"] == provision_env(scenario, "vagrant"), path
    assert vagrant_ones >= 4  # the seed's three and the tricky one


def test_values_survive_vagrants_own_shell_quoting(tmp_path: Path) -> None:
    """Vagrant runs `NAME="value" … script` and escapes only the double quote; the Vagrantfile escapes the rest.
    Vagrant's own quote_and_escape builds the command here, and bash must hand the script the exact values."""
    scenario = tmp_path / "scenarios" / "quoting.yaml"
    scenario.parent.mkdir()
    scenario.write_text("host: {type: vagrant, box: b, docker_socket: '/run/$HOME/`id`/a\"b\\\\c.sock'}\n"
                        "storage: {driver: overlay2, options: {x: 'it''s $(id) `id` \\\\ \"q\"'}}\n")
    script = """
    load ARGV.shift
    begin
      require "vagrant"
      require Vagrant.source_root.join("plugins/provisioners/shell/provisioner").to_s
    rescue LoadError
      exit 3
    end
    env = HarnessScenarios.shell_safe(HarnessScenarios.load(ARGV.shift).provision_env)
    quoter = VagrantPlugins::Shell::Provisioner.allocate
    print env.map { |k, v| "#{k}=#{quoter.send(:quote_and_escape, v.to_s)}" }.join(" ")
    """
    built = subprocess.run(["ruby", "-e", script, str(VAGRANTFILE), str(scenario)], capture_output=True, text=True,
                           timeout=60, check=False)
    if built.returncode == 3:
        pytest.skip("the vagrant gem is not loadable from ruby here")
    assert built.returncode == 0, built.stderr
    printed = subprocess.run(["bash", "-c", f"{built.stdout} env -0"], capture_output=True, text=True, check=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}).stdout
    received = dict(item.split("=", 1) for item in printed.split("\0") if "=" in item)
    expected = provision_env(config.load_scenario(scenario), "vagrant")
    for key, value in expected.items():
        assert received[key] == value, key


MISTAKES = {
    "unknown-key": "host: {type: vagrant, box: b, cpu: 2}\nstorage: {driver: overlay2}\n",
    "missing-box": "host: {type: vagrant}\nstorage: {driver: overlay2}\n",
    "missing-storage": "host: {type: vagrant, box: b}\n",
    "wrong-type": "host: {type: vagrant, box: b, memory_mb: lots}\nstorage: {driver: overlay2}\n",
    "bool-not-int": "host: {type: vagrant, box: b, cpus: yes}\nstorage: {driver: overlay2}\n",
    "too-small": "host: {type: vagrant, box: b, memory_mb: 64}\nstorage: {driver: overlay2}\n",
    "bad-host-type": "host: {type: vm, box: b}\nstorage: {driver: overlay2}\n",
    "not-a-mapping": "host: [vagrant]\nstorage: {driver: overlay2}\n",
    "knob-not-bool": ("host: {type: vagrant, box: b}\nstorage: {driver: overlay2}\n"
                      "kernel: {overlay: {redirect_dir: 1}}\n"),
    "knob-conflict": ("host: {type: vagrant, box: b}\nstorage: {driver: overlay2}\n"
                      "kernel: {overlay: {redirect_dir: off, metacopy: on}}\n"),
    "loop-fs-on-vm": "host: {type: vagrant, box: b}\nstorage: {driver: overlay2, filesystem: xfs}\n",
    "lvm-no-disk": "host: {type: vagrant, box: b}\nstorage: {driver: devicemapper, direct_lvm: true}\n",
    "lvm-not-dm": "host: {type: vagrant, box: b, extra_disk_gb: 5}\nstorage: {driver: overlay2, direct_lvm: true}\n",
    "option-list": "host: {type: vagrant, box: b}\nstorage: {driver: overlay2, options: {a: [1]}}\n",
    "bad-yaml": "host: {type: vagrant, box: b\nstorage: {driver: overlay2}\n",
    "Bad_Name": "host: {type: vagrant, box: b}\nstorage: {driver: overlay2}\n",
}


def test_every_mistake_is_refused_by_both_naming_the_file(tmp_path: Path) -> None:
    paths = []
    for name, text in MISTAKES.items():
        path = tmp_path / "scenarios" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        paths.append(path)
    report = ruby_report(*paths)["files"]
    for path in paths:
        answer = report[str(path)]
        assert not answer["ok"], f"the Vagrantfile accepts {path.name}: {answer}"
        assert answer["error"].startswith(str(path)), answer["error"]
        with pytest.raises(InputError) as python_error:
            config.load_scenario(path)
        assert str(python_error.value).startswith(str(path))
        # Both name the same line when the mistake has one (the YAML syntax error reports where each parser stops).
        if path.stem != "bad-yaml":
            assert answer["error"].split(":")[1] == str(python_error.value).split(":")[1], (answer, python_error.value)


def test_other_host_types_are_left_to_the_harness(tmp_path: Path) -> None:
    path = tmp_path / "scenarios" / "here.yaml"
    path.parent.mkdir()
    path.write_text("host: {type: local}\nstorage: {driver: overlay2, filesystem: xfs}\n")
    assert ruby_report(path)["files"][str(path)] == {"ok": True, "vagrant": False, "env": None, "shell_safe": None}
