"""Stopping a run once every headline is decided, without raising its rate of false claims.

A matrix with `stop_when_decided: true` may end before its planned rounds: after each round from FIRST_LOOK on, the
runner summarises what it has and stops as soon as every compared headline — the whole build of each scenario
against the baseline; the A/A control excepted, a diagnostic — is slower, faster or equivalent. Judging K looks at
α each would let a false claim through up to K times as often, so every look, and the summary of such a run
whenever it ended, judges at α/K: the chance of a false claim at any look is at most K·α/K = α (Bonferroni over the
looks: simple and safe; group-sequential boundaries would spend α more cleverly). The manifest records α/K and
`harness summary` judges the run at it (ratio intervals at 1 − α/K, the equivalence test's at 1 − 2α/K). The price
is wider intervals when the run goes to its end; the gain, a clear answer in fewer rounds.
tests/unit/test_stopping.py measures both in simulation through the real summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.analysis import stats
from harness.analysis.summary import Summary

#: The first round after which a run may stop: with fewer, one slow session decides too much.
FIRST_LOOK = 3
DECIDED = (stats.SLOWER, stats.FASTER, stats.EQUIVALENT)
RULE = "Bonferroni over looks"


@dataclass(frozen=True)
class Looks:
    """When a run of `rounds` rounds looks at its verdicts, and at which α each look (and its summary) judges."""

    rounds: int
    alpha: float = stats.DEFAULT_ALPHA

    @property
    def after(self) -> tuple[int, ...]:
        return tuple(range(min(FIRST_LOOK, self.rounds), self.rounds + 1))

    @property
    def alpha_per_look(self) -> float:
        return self.alpha / len(self.after)


def undecided(summary: Summary) -> list[str]:
    """The compared headlines not yet decided, as `scenario in workload: verdict`; empty when the run may stop. A run
    without a compared headline is never decided."""
    judged = [h for h in summary.headlines if h.scenario != summary.control]
    if not judged:
        return ["no compared headline yet"]
    return [f"{h.scenario}{'' if h.builder == 'classic' else f' ({h.builder})'} in {h.workload}: {h.verdict}"
            for h in judged if h.verdict not in DECIDED]
