"""Stopping once every headline is decided (harness.analysis.stopping), in simulation through the real `summarize`:
looks after rounds 3, 4 and 5 of a 5-round plan, each judging at α/3, as `harness run` does with
`stop_when_decided: true` (claims_simulation.py has the model: lognormal session and build noise, known truth).

`pytest -s` prints the table: per condition, how often the whole build is called slower / equivalent, how often any
claim (slower or faster) is made, and the mean number of rounds measured; beside it the same looks at α = 5 % each,
which is what stopping without the correction would do.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from claims_simulation import Condition, as_run, simulate, whole_build

from harness.analysis.stopping import FIRST_LOOK, RULE, Looks, undecided
from harness.analysis.summary import summarize
from harness.export.layout import summary_doc

NOISY = dict(session_sigma=0.02, build_sigma=0.10)
LOOKS = Looks(rounds=5)


@dataclasses.dataclass(frozen=True)
class Sequential:
    slower: float
    equivalent: float
    any_claim: float
    mean_rounds: float


def sequential(condition: Condition, matrices: int, seed: int, alpha: float = LOOKS.alpha_per_look) -> Sequential:
    """Each matrix measured for 5 rounds, looked at after rounds 3, 4 and 5 as the runner does: the verdicts of the
    look it stopped at (or of round 5)."""
    slower = equivalent = claims = 0
    rounds = []
    for index in range(matrices):
        data = simulate(condition, seed + index)
        for look in LOOKS.after:
            run = as_run(data[:, :look])
            run = dataclasses.replace(run, manifest={**run.manifest, "stopping": {
                "rule": RULE, "looks": list(LOOKS.after), "alpha": alpha}})
            summary = summarize(run)
            if not undecided(summary) or look == LOOKS.rounds:
                break
        rounds.append(look)
        verdict = whole_build(summary).verdict
        slower += verdict == "slower"
        equivalent += verdict == "equivalent"
        claims += verdict in ("slower", "faster")
    return Sequential(slower / matrices, equivalent / matrices, claims / matrices, float(np.mean(rounds)))


def test_the_looks_and_their_alpha() -> None:
    assert LOOKS.after == (3, 4, 5) and LOOKS.alpha_per_look == pytest.approx(0.05 / 3)
    assert Looks(rounds=2).after == (2,) and Looks(rounds=2).alpha_per_look == 0.05, "one look: no correction"
    assert FIRST_LOOK == 3


def test_identical_scenarios_are_not_called_different_when_the_run_may_stop() -> None:
    found = sequential(Condition(1.0, **NOISY), matrices=300, seed=101)
    assert found.any_claim <= 0.05


def test_a_clear_slowdown_stops_at_the_first_look() -> None:
    """The seed's question with make run's noise (plan --pilot: sessions σ 7 %, builds σ 5.4 %, 2 builds per round):
    the naive differ costs 3–4×, and three rounds decide it in (nearly) every matrix."""
    found = sequential(Condition(3.4, session_sigma=0.07, build_sigma=0.054, builds=2), matrices=100, seed=102)
    assert found.slower == 1.0 and found.mean_rounds <= FIRST_LOOK + 0.05


def test_a_true_quarter_slowdown_is_still_found_and_never_called_equivalent() -> None:
    found = sequential(Condition(1.25, **NOISY), matrices=300, seed=103)
    assert found.slower >= 0.80 and found.equivalent == 0.0


def test_a_run_that_may_stop_is_summarised_at_its_per_look_alpha_and_says_so() -> None:
    run = as_run(simulate(Condition(1.0, **NOISY), seed=104))
    run = dataclasses.replace(run, manifest={**run.manifest, "stopping": {
        "rule": RULE, "looks": [3, 4, 5], "alpha": LOOKS.alpha_per_look}})
    summary = summarize(run)
    assert summary.alpha == pytest.approx(0.05 / 3) and summary.confidence == pytest.approx(1 - 0.05 / 3)
    doc = summary_doc(summary)
    assert "ratio 98.3% CI" in doc.headers and "ratio 95% CI" not in doc.headers
    assert any("look after rounds 3, 4, 5 and ran every planned round" in note and "α = 0.0167" in note
               for note in summary.notes), summary.notes
    assert any("the 98.3% interval" in line and "the 96.7% interval" in line for line in doc.legend)
    wider = whole_build(summary)
    usual = whole_build(summarize(run, alpha=0.05))
    assert wider.ratio_ci_low < usual.ratio_ci_low and usual.ratio_ci_high < wider.ratio_ci_high


def test_the_correction_costs_no_false_claims_and_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures behind docs/design.md's paragraph on stopping (σ_session 2 %, σ_build 10 %), with and without the
    per-look correction; the corrected rule never makes more false claims than looking at 5 % each time."""
    lines = ["effect  alpha/look  slower  equivalent  any claim  mean rounds"]
    claims = {}
    for effect in (1.0, 1.10, 1.25):
        for alpha in (LOOKS.alpha_per_look, 0.05):
            found = sequential(Condition(effect, **NOISY), matrices=200, seed=110, alpha=alpha)
            claims[(effect, alpha)] = found.any_claim
            lines.append(f"{effect:6.2f}  {alpha:10.4f}  {found.slower:6.1%}  {found.equivalent:10.1%}  "
                         f"{found.any_claim:9.1%}  {found.mean_rounds:11.2f}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert claims[(1.0, LOOKS.alpha_per_look)] <= claims[(1.0, 0.05)]


def test_the_a_a_control_never_holds_a_run_up_and_never_stops_it_alone() -> None:
    summary = summarize(as_run(simulate(Condition(1.0, **NOISY), seed=105)))
    assert undecided(dataclasses.replace(summary, control="other")) == ["no compared headline yet"]
    assert undecided(dataclasses.replace(summary, headlines=())) == ["no compared headline yet"]
