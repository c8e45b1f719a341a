"""Simulated matrices: with per-session drift, identical scenarios must not read as different (the proof of issue 8).

Model (multiplicative, as docs/facts.md shows drift on this machine): every daemon session of a scenario gets its own
offset exp(N(0, σ = 2 %)), shared by all steps of its builds; every build step adds lognormal noise of 3 %; the
whole build is the sum of the steps plus a fixed overhead. A matrix has a baseline and two identical scenarios,
4 steps + the whole build: 10 compared cells.

- Old block design (one session per scenario, Mann–Whitney over builds, BH, |ratio − 1| > 2 %): computed here as the
  contrast, with the rule the harness used before rounds.
- New design (5 interleaved rounds, n / 5 builds per round): the round-level paired t-test (vectorised over all
  matrices, the same `sessions.paired_t_p` the summary uses), Benjamini–Hochberg per matrix, then for the cells
  whose adjusted p rejects, the real `differences.compare_pairs` bootstrap and `stats.verdict` decide — the same code
  path as `harness summary`, with fewer resamples. A cell the test does not reject cannot be significant, so the
  bootstrap is needed only there.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from harness.analysis import differences, sessions, stats
from harness.results.reader import TOTAL, Cell

MATRICES = 2000
ROUNDS = 5
SESSION_SIGMA, BUILD_SIGMA = 0.02, 0.03
STEP_MEDIANS = np.array([0.38, 0.21, 0.26, 0.36])
OVERHEAD_S = 0.15
RESAMPLES = 499
FLOOR = stats.fixed_noise()


def _builds(rng, matrices: int, sessions_: int, per_session: int, effect: float = 1.0) -> np.ndarray:
    """Seconds, shape (matrices, 3 scenarios, sessions, builds per session, 5 cells: 4 steps + whole build).
    Scenario 1 is `effect` times slower; scenarios 0 and 2 are identical."""
    offset = rng.lognormal(0, SESSION_SIGMA, size=(matrices, 3, sessions_, 1, 1))
    steps = STEP_MEDIANS * offset * rng.lognormal(0, BUILD_SIGMA, size=(matrices, 3, sessions_, per_session, 4))
    steps[:, 1] *= effect
    return np.concatenate([steps, steps.sum(axis=-1, keepdims=True) + OVERHEAD_S], axis=-1)


def old_block_design_share(n: int, seed: int) -> float:
    """Share of matrices with any "significant" cell under the pre-rounds design and rule."""
    data = _builds(np.random.default_rng(seed), MATRICES, 1, n)[:, :, 0]  # (M, 3, n, 5)
    base, others = data[:, :1], data[:, 1:]
    p = scipy_stats.mannwhitneyu(others, np.broadcast_to(base, others.shape), axis=2, method="asymptotic").pvalue
    ratio = np.median(others, axis=2) / np.median(base, axis=2)
    adjusted = scipy_stats.false_discovery_control(p.reshape(MATRICES, -1), axis=-1).reshape(p.shape)
    significant = (adjusted < stats.DEFAULT_ALPHA) & (np.abs(ratio - 1) > stats.DEFAULT_NOISE)
    return float(significant.any(axis=(1, 2)).mean())


def _cells(data: np.ndarray, scenario: int) -> list[Cell]:
    """One matrix's cells of one scenario, as the summary sees them (values with their rounds)."""
    rounds, per_round, _ = data[scenario].shape
    numbers = tuple(r + 1 for r in range(rounds) for _ in range(per_round))
    return [Cell("w", TOTAL if step == 4 else step + 2, str(scenario), None, None,
                 tuple(data[scenario, :, :, step].ravel()), 0, (), numbers) for step in range(5)]


def significant_cells(matrix: np.ndarray, adjusted: np.ndarray, seed: int) -> np.ndarray:
    """(2, 5) verdicts for one matrix through the summary's code path, given its adjusted p-values."""
    found = np.zeros(adjusted.shape, bool)
    base = _cells(matrix, 0)
    for index in range(2):
        if not (adjusted[index] < stats.DEFAULT_ALPHA).any():
            continue  # no cell rejects: none can be significant, whatever its interval
        pairs = list(zip(base, _cells(matrix, index + 1)))
        design, results = differences.compare_pairs(pairs, seed + index, paired=True, n_resamples=RESAMPLES)
        assert design == differences.ROUNDS
        for step, result in enumerate(results):
            diff = result.difference
            verdict = stats.verdict(float(adjusted[index, step]), diff.ci_low, diff.ci_high, FLOOR)
            found[index, step] = verdict == stats.SIGNIFICANT
    return found


def round_design(n: int, seed: int, matrices: int = MATRICES, effect: float = 1.0) -> np.ndarray:
    """(matrices, 2, 5) verdicts under rounds: vectorised round-level test and BH, then the summary's verdict."""
    data = _builds(np.random.default_rng(seed), matrices, ROUNDS, n // ROUNDS, effect)  # (M, 3, R, k, 5)
    medians = np.median(data, axis=3)  # (M, 3, R, 5)
    differences_ = np.moveaxis(np.log(medians[:, 1:] / medians[:, :1]), 2, -1)  # (M, 2, 5, R)
    p = sessions.paired_t_p(differences_)
    adjusted = scipy_stats.false_discovery_control(p.reshape(matrices, -1), axis=-1).reshape(p.shape)
    return np.array([significant_cells(data[m], adjusted[m], seed + m) for m in range(matrices)])


@pytest.mark.parametrize("n", [10, 20])
def test_identical_scenarios_with_session_drift_are_rarely_significant(n: int) -> None:
    old = old_block_design_share(n, seed=n)
    new = float(round_design(n, seed=1000 + n).any(axis=(1, 2)).mean())
    print(f"n={n}: matrices with any significant A/A cell — block design {old:.1%}, rounds {new:.1%}")
    assert new <= 0.05
    assert old >= 0.15  # the contrast: the old design was fooled by session drift
    assert new < old / 3


def test_the_vectorised_round_test_is_the_summarys_test() -> None:
    data = _builds(np.random.default_rng(5), 1, ROUNDS, 2)[0]
    base, other = _cells(data, 0)[4], _cells(data, 1)[4]
    medians = np.median(data[:, :, :, 4], axis=2)
    vectorised = sessions.paired_t_p(np.log(medians[1] / medians[0]))
    assert float(vectorised) == pytest.approx(sessions.round_test_p(base.values, base.rounds, other.values,
                                                                    other.rounds))


@pytest.mark.parametrize("n", [10, 20])
def test_a_real_one_and_a_half_times_effect_is_detected_in_most_matrices(n: int) -> None:
    verdicts = round_design(n, seed=77 + n, matrices=200, effect=1.5)
    detected = verdicts[:, 0, 4].mean()  # scenario 1's whole build
    false_alarm = verdicts[:, 1].any(axis=1).mean()  # its identical twin, in the same matrices
    print(f"n={n}: 1.5× detected in {detected:.1%} of matrices; identical scenario flagged in {false_alarm:.1%}")
    assert detected >= 0.9
    assert false_alarm <= 0.05
