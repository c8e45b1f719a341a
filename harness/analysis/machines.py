"""Many machines, one answer: per-machine ratios pooled with the machine as the top level of the statistics.

Each machine's ratio and interval come from that machine's own rounds (its run's headline). A campaign asks what the
effect is on machines *in general*, so the machines are a sample and their differences a level of variance
(Kalibera & Jones 2013, "Rigorous benchmarking in reasonable time": repeat at every level that varies). Method: a
random-effects meta-analysis of the per-machine log ratios —

- the between-machine variance τ² by DerSimonian & Laird (1986), and I² (Higgins & Thompson 2002): the share of
  the spread between machines that is not within-machine noise;
- the pooled log ratio weighted by 1 / (se_i² + τ²), with the Hartung–Knapp(–Sidik–Jonkman) interval (Hartung &
  Knapp 2001; IntHout, Ioannidis & Borm 2014): a t-interval on k − 1 degrees of freedom with a weighted residual
  variance (never below 1, Röver, Knapp & Friede 2015), which keeps ≈ 95 % coverage with as few as 5 machines
  where the DerSimonian–Laird z-interval does not;
- a 95 % prediction interval for one more machine (Higgins, Thompson & Spiegelhalter 2009) and the spread ±τ;
- outlier screening by studentized deleted residuals (Viechtbauer & Cheung 2010): a machine whose ratio lies
  beyond |z| > `OUTLIER_Z` from the pool of the others — SuperBench-style defective-machine screening.

A machine's standard error is read back from its 95 % interval on the log scale (the interval is a bootstrap
percentile interval, close to symmetric in logs for ratios). Pure: numbers in, numbers out; no I/O.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import special, stats

#: The declared smallest effect of interest δ: ratios within 1 ± δ are "no difference that matters".
DEFAULT_MIN_EFFECT = 0.05
DEFAULT_ALPHA = 0.05
#: |studentized deleted residual| above this flags a machine (≈ p < 0.003 two-sided under the model).
OUTLIER_Z = 3.0
#: A machine whose interval has zero width (constant timings) still needs a finite weight.
MIN_SE = 1e-4
_Z95 = float(stats.norm.ppf(0.975))
_Z90 = float(stats.norm.ppf(0.95))

SLOWER, FASTER, EQUIVALENT, INCONCLUSIVE, UNTESTED = "slower", "faster", "equivalent", "inconclusive", "untested"
VERDICTS = (SLOWER, FASTER, EQUIVALENT, INCONCLUSIVE, UNTESTED)


@dataclass(frozen=True)
class MachineEstimate:
    """One machine's ratio with its 95 % interval and p-value (from its own rounds); None where untested."""

    machine: str
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None = None

    @property
    def usable(self) -> bool:
        return None not in (self.ratio, self.ci_low, self.ci_high) and min(self.ratio, self.ci_low) > 0

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio)

    @property
    def standard_error(self) -> float:
        """(log high − log low) / (2 · 1.96): the normal-theory reading of a 95 % interval."""
        return max(MIN_SE, (math.log(self.ci_high) - math.log(self.ci_low)) / (2 * _Z95))


@dataclass(frozen=True)
class Pooled:
    """The pooled ratio over machines, its intervals and test, and how much the machines disagree."""

    n_machines: int
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    ci90_low: float | None
    ci90_high: float | None
    p_value: float | None
    tau2: float | None
    i2: float | None
    spread: float | None  # exp(τ) − 1: the typical between-machine deviation as a fraction (±)
    prediction_low: float | None
    prediction_high: float | None
    outliers: tuple[str, ...]
    verdict: str


def verdict(p_value: float | None, ci_low: float | None, ci_high: float | None, ci90_low: float | None,
            ci90_high: float | None, min_effect: float = DEFAULT_MIN_EFFECT, alpha: float = DEFAULT_ALPHA) -> str:
    """slower/faster: p < α and the 95 % interval wholly outside 1 ± δ; equivalent (TOST, Schuirmann 1987): the
    90 % interval inside 1 ± δ; inconclusive otherwise; untested without an interval or p-value."""
    if None in (p_value, ci_low, ci_high):
        return UNTESTED
    if p_value < alpha and ci_low > 1 + min_effect:
        return SLOWER
    if p_value < alpha and ci_high < 1 - min_effect:
        return FASTER
    if ci90_low is not None and ci90_high is not None and 1 - min_effect < ci90_low and ci90_high < 1 + min_effect:
        return EQUIVALENT
    return INCONCLUSIVE


def machine_verdict(estimate: MachineEstimate, min_effect: float = DEFAULT_MIN_EFFECT,
                    alpha: float = DEFAULT_ALPHA) -> str:
    """One machine's verdict by the same rule; its 90 % interval is its 95 % one narrowed on the log scale
    (× 1.645 / 1.96), as a normal-theory interval would be."""
    if not estimate.usable:
        return UNTESTED
    centre, half = estimate.log_ratio, estimate.standard_error * _Z90
    return verdict(estimate.p_value, estimate.ci_low, estimate.ci_high, math.exp(centre - half),
                   math.exp(centre + half), min_effect, alpha)


def pool(estimates: Sequence[MachineEstimate], min_effect: float = DEFAULT_MIN_EFFECT,
         alpha: float = DEFAULT_ALPHA) -> Pooled:
    """Random-effects pooling of the usable estimates (see the module docstring); untested below two machines."""
    usable = [e for e in estimates if e.usable]
    k = len(usable)
    if k < 2:
        ratio = usable[0].ratio if usable else None
        return Pooled(k, ratio, None, None, None, None, None, None, None, None, None, None, (), UNTESTED)
    logs = [e.log_ratio for e in usable]
    variances = [e.standard_error ** 2 for e in usable]
    tau2, i2 = dersimonian_laird(logs, variances)
    mean, se = hartung_knapp(logs, variances, tau2)
    low, high = _t_interval(mean, se, k - 1, 0.95)
    low90, high90 = _t_interval(mean, se, k - 1, 0.90)
    p_value = _t_two_sided_p(mean / se, k - 1) if se > 0 else (1.0 if mean == 0 else 0.0)
    prediction = _t_interval(mean, math.sqrt(tau2 + se ** 2), k - 2, 0.95) if k >= 3 else (None, None)
    return Pooled(
        n_machines=k, ratio=math.exp(mean), ci_low=low, ci_high=high, ci90_low=low90, ci90_high=high90,
        p_value=p_value, tau2=tau2, i2=i2, spread=math.exp(math.sqrt(tau2)) - 1,
        prediction_low=prediction[0], prediction_high=prediction[1],
        outliers=outlying_machines(usable), verdict=verdict(p_value, low, high, low90, high90, min_effect, alpha))


def dersimonian_laird(logs: Sequence[float], variances: Sequence[float]) -> tuple[float, float]:
    """(τ², I²): the method-of-moments between-study variance from Cochran's Q (DerSimonian & Laird 1986),
    truncated at 0, and I² = (Q − (k − 1)) / Q, truncated at 0 (Higgins & Thompson 2002)."""
    weights = [1 / v for v in variances]
    total = math.fsum(weights)
    fixed = math.fsum(w * y for w, y in zip(weights, logs)) / total
    q = math.fsum(w * (y - fixed) ** 2 for w, y in zip(weights, logs))
    df = len(logs) - 1
    scale = total - math.fsum(w * w for w in weights) / total
    tau2 = max(0.0, (q - df) / scale) if scale > 0 else 0.0
    i2 = max(0.0, (q - df) / q) if q > 0 else 0.0
    return tau2, i2


def hartung_knapp(logs: Sequence[float], variances: Sequence[float], tau2: float) -> tuple[float, float]:
    """(pooled log ratio, its Hartung–Knapp standard error): weights 1 / (v_i + τ²); the variance is the weighted
    residual variance Σ w_i (y_i − μ)² / ((k − 1) Σ w_i), to be used with a t distribution on k − 1 df. The
    residual factor is kept ≥ 1 (the ad-hoc correction of Röver, Knapp & Friede 2015): machines that agree more
    closely than their own intervals allow must not make the pooled interval narrower than the machines' own
    precision supports."""
    weights = [1 / (v + tau2) for v in variances]
    total = math.fsum(weights)
    mean = math.fsum(w * y for w, y in zip(weights, logs)) / total
    residual = math.fsum(w * (y - mean) ** 2 for w, y in zip(weights, logs)) / (len(logs) - 1)
    return mean, math.sqrt(max(1.0, residual) / total)


def _t_interval(mean: float, se: float, df: int, confidence: float) -> tuple[float, float]:
    half = _t_quantile(0.5 + confidence / 2, df) * se
    return math.exp(mean - half), math.exp(mean + half)


def outlying_machines(usable: Sequence[MachineEstimate], threshold: float = OUTLIER_Z) -> tuple[str, ...]:
    """Machines whose studentized deleted residual exceeds `threshold`: each machine against the random-effects
    pool of the others, z = (y_i − μ₋ᵢ) / √(se_i² + τ²₋ᵢ + SE(μ₋ᵢ)²) (Viechtbauer & Cheung 2010). Needs ≥ 3 machines."""
    if len(usable) < 3:
        return ()
    flagged = []
    for index, machine in enumerate(usable):
        others = [e for position, e in enumerate(usable) if position != index]
        logs = [e.log_ratio for e in others]
        variances = [e.standard_error ** 2 for e in others]
        tau2, _ = dersimonian_laird(logs, variances)
        weights = [1 / (v + tau2) for v in variances]
        mean = math.fsum(w * y for w, y in zip(weights, logs)) / math.fsum(weights)
        scale = math.sqrt(machine.standard_error ** 2 + tau2 + 1 / math.fsum(weights))
        if abs(machine.log_ratio - mean) / scale > threshold:
            flagged.append(machine.machine)
    return tuple(flagged)


@functools.lru_cache(maxsize=512)
def _t_quantile(probability: float, df: int) -> float:
    """Student's t quantile, cached: a campaign asks for the same few degrees of freedom many times."""
    return float(stats.t.ppf(probability, df))


def _t_two_sided_p(statistic: float, df: int) -> float:
    """Two-sided p of a t statistic, through the regularized incomplete beta function (scipy.special.betainc)
    rather than scipy.stats.t.sf, whose per-call overhead dominated a 100-machine screening."""
    return float(special.betainc(df / 2, 0.5, df / (df + statistic * statistic)))
