"""A personal model of pauses: how long this person's idle gaps run when they
stay seated, and so how long an unlocked idle gap must be to count as a break.

Pure and deterministic like the rest of the core: the engine feeds it the
person's own history (every idle gap of a minute or more, and the breaks it
knows for sure), it answers with a threshold. No clock, no I/O; its state is a
plain dict (`to_dict` / `from_dict`) so the store can keep it across restarts.

How it decides, in plain words. Idle gaps are a mixture of two kinds: pauses
in the seat (reading, thinking, the phone) and breaks (the person got up).
Some breaks are labelled for free: the screen was locked, the machine slept,
the person said "taking a break". Those labelled breaks tell how long *this
person's* breaks last (a log-normal, shrunk towards a typical one while there
are few). Unlocked gaps of 12 minutes to 2 hours are nearly all breaks, so
their number says how many unlocked breaks there are in all; with the length
distribution that says how many of the shorter gaps are breaks too, and the
rest are seated pauses. The threshold is the length that misclassifies the
fewest gaps of the two kinds, within safe bounds, and it moves from the
default to what was learned only as evidence accumulates. Old evidence fades
slowly, so the model follows a change of habits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MINUTE = 60.0

#: Gaps shorter than this are not pauses worth learning from (typing rhythm).
GAP_MIN = 1 * MINUTE
#: Histogram bins: log-spaced, BINS_PER_DOUBLING a doubling, from GAP_MIN up.
BINS_PER_DOUBLING = 12
BIN_COUNT = 8 * BINS_PER_DOUBLING  # up to 2**8 minutes (4 h 16 min)
#: Unlocked gaps in this range are taken to be breaks (a few seated spells of
#: more than 12 minutes are counted as breaks: the honest limit of the method).
SURE_FROM = 12 * MINUTE
SURE_UNTIL = 2 * 60 * MINUTE
#: A break shorter than this is no break (the scorer's and the docs' minimum).
BREAK_MIN = 3 * MINUTE
#: The safe bounds of a learned threshold.
LOWEST = 4.5 * MINUTE
HIGHEST = 12 * MINUTE
#: A typical person's break lengths (log-normal), worth PRIOR_BREAKS breaks.
PRIOR_MEDIAN = 15 * MINUTE
PRIOR_SIGMA = 0.9
PRIOR_BREAKS = 10.0
#: How many gaps it takes for what was learned to weigh as much as the default:
#: some six weeks of work. Cross-validated on the samples (docs/inference.md),
#: ten days of gaps mislead as often as they help, so the model learns slowly.
PRIOR_GAPS = 1000.0
#: Each observation keeps this share of the weight of all earlier ones: a
#: memory of some 2000 observations, two to three months of work.
RETAIN = 0.9995
#: A gap past the threshold but shorter than this many times it may be a
#: break or not: the movement clock goes on (see the engine).
SURE_BREAK_AFTER = 2.0

_VERSION = 1
_LOG_GAP_MIN = math.log(GAP_MIN)
_BIN_WIDTH = math.log(2.0) / BINS_PER_DOUBLING


def _edge(i: int) -> float:
    """The lower edge of bin `i`, in seconds."""
    return GAP_MIN * math.pow(2.0, i / BINS_PER_DOUBLING)


def _bin(gap: float) -> int | None:
    if gap < GAP_MIN:
        return None
    i = int((math.log(gap) - _LOG_GAP_MIN) / _BIN_WIDTH)
    return i if i < BIN_COUNT else None


_EDGES = tuple(_edge(i) for i in range(BIN_COUNT + 1))
_LOG_EDGE = tuple(math.log(e) for e in _EDGES)
_LOG_MID = tuple(x + _BIN_WIDTH / 2 for x in _LOG_EDGE)


def _bin_of(seconds: float) -> int:
    i = _bin(seconds)
    assert i is not None
    return i


_BREAK_MIN_BIN = _bin_of(BREAK_MIN)
#: Bins whose known breaks shape the break-length distribution.
_SHAPE_BINS = range(_BREAK_MIN_BIN + 1, _bin_of(SURE_UNTIL) + 1)
_SURE_BINS = (_bin_of(SURE_FROM), _bin_of(SURE_UNTIL))
_CANDIDATE_BINS = (_bin_of(LOWEST), _bin_of(HIGHEST))
#: Past this, the weights are brought back to the unit (long before floats lose it).
_RESCALE_AT = 1e100


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True, slots=True)
class Explanation:
    """What `sitbreak status` says about the model."""

    threshold: float  # seconds of unlocked idle that make a break
    pauses: int  # idle gaps learned from
    breaks: int  # of those, known breaks (locks, suspends, "taking a break")
    learned: bool  # False while the default still weighs more than the evidence


def break_rule(pauses: PauseModel | None, configured: float) -> dict[str, object]:
    """How long idle makes a break and where that comes from, as plain values
    (for `sitbreak status` and replay reports): the model's answer, or the
    configured `break_idle` when there is no model (the config sets it)."""
    if pauses is None:
        return {"after_s": configured, "source": "config"}
    said = pauses.explain()
    return {
        "after_s": said.threshold,
        "source": "learned" if said.learned else "default",
        "pauses": said.pauses,
        "known_breaks": said.breaks,
    }


class PauseModel:
    """The person's idle gaps, and the break threshold they imply.

    `default` is the threshold to start from (and to lean on while there is
    little evidence). Feed it with `observe_gap` (an unlocked idle gap of
    unknown kind, seconds) and `observe_break` (a gap known to be a break).
    """

    __slots__ = ("_breaks", "_cached", "_gaps", "_unit", "default", "seen_breaks", "seen_gaps")

    def __init__(self, default: float = 8.5 * MINUTE) -> None:
        self.default = default
        self._gaps = [0.0] * BIN_COUNT
        self._breaks = [0.0] * BIN_COUNT
        self._unit = 1.0  # the weight of the newest observation (see _observe)
        self.seen_gaps = 0
        self.seen_breaks = 0
        self._cached: float | None = None

    # ------------------------------------------------------------ learning

    def observe_gap(self, gap: float) -> bool:
        """An unlocked idle gap ended after `gap` seconds; True if it was learned from."""
        return self._observe(self._gaps, gap, known_break=False)

    def observe_break(self, gap: float) -> bool:
        """A gap of `gap` seconds (last input to return) known to be a break."""
        return self._observe(self._breaks, gap, known_break=True)

    def _observe(self, hist: list[float], gap: float, *, known_break: bool) -> bool:
        if not math.isfinite(gap):
            return False
        i = _bin(gap)
        if i is None:
            return False
        # Fading without touching every bin: new weight grows instead, and
        # every weight is read divided by the unit.
        self._unit /= RETAIN
        if self._unit > _RESCALE_AT:
            for h in (self._gaps, self._breaks):
                for j, v in enumerate(h):
                    h[j] = v / self._unit
            self._unit = 1.0
        hist[i] += self._unit
        if known_break:
            self.seen_breaks += 1
        else:
            self.seen_gaps += 1
        self._cached = None
        return True

    # ------------------------------------------------------------ answers

    @property
    def threshold(self) -> float:
        """Seconds of unlocked idle after which this person has taken a break."""
        if self._cached is None:
            self._cached = self._compute()
        return self._cached

    def sure_break(self, gap: float) -> bool:
        """True when an unlocked idle gap this long is a break beyond doubt."""
        return gap >= SURE_BREAK_AFTER * self.threshold

    def explain(self) -> Explanation:
        weight = (sum(self._gaps) + sum(self._breaks)) / self._unit
        return Explanation(
            threshold=self.threshold,
            pauses=self.seen_gaps + self.seen_breaks,
            breaks=self.seen_breaks,
            learned=weight >= PRIOR_GAPS,
        )

    def _break_shape(self) -> tuple[float, float]:
        """(mu, sigma) of the log of this person's break lengths, shrunk to the prior."""
        mu0 = math.log(PRIOR_MEDIAN)
        breaks = self._breaks
        n = s1 = 0.0
        for i in _SHAPE_BINS:
            w = breaks[i]
            if w:
                n += w
                s1 += w * _LOG_MID[i]
        unit = self._unit
        n, s1 = n / unit, s1 / unit
        mu = (PRIOR_BREAKS * mu0 + s1) / (PRIOR_BREAKS + n)
        s2 = 0.0
        for i in _SHAPE_BINS:
            w = breaks[i]
            if w:
                s2 += w * (_LOG_MID[i] - mu) ** 2
        s2 = s2 / unit + PRIOR_BREAKS * (PRIOR_SIGMA**2 + (mu0 - mu) ** 2)
        return mu, math.sqrt(s2 / (PRIOR_BREAKS + n))

    def _compute(self) -> float:
        gaps = self._gaps
        weight = sum(gaps) / self._unit
        if weight <= 0:
            return self.default
        mu, sigma = self._break_shape()

        def below(i: int) -> float:  # P(a break is shorter than bin i's lower edge)
            return _normal_cdf((_LOG_EDGE[i] - mu) / sigma)

        sure_lo, sure_hi = _SURE_BINS
        sure = sum(gaps[sure_lo:sure_hi])
        below_sure = below(sure_lo)
        unlocked_breaks = sure / (below(sure_hi) - below_sure)
        below_min = below(_BREAK_MIN_BIN)
        # Choose the threshold (a bin edge) that leaves the fewest expected
        # errors: breaks below it, plus seated pauses at or above it. (The
        # histograms are all in the same unit, so it cancels out here.)
        best_cost, best = math.inf, self.default
        first, last = _CANDIDATE_BINS
        above = sum(gaps[first:sure_lo])  # gaps from the candidate up to SURE_FROM
        for i in range(first, last + 1):
            b = below(i)
            missed = unlocked_breaks * (b - below_min)
            cost = missed + max(0.0, above - unlocked_breaks * (below_sure - b))
            if cost < best_cost - 1e-9 * unlocked_breaks:
                best_cost, best = cost, _EDGES[i]
            above -= gaps[i]
        # Lean on the default until the evidence outweighs it.
        w = weight / (weight + PRIOR_GAPS)
        learned = math.exp(w * math.log(best) + (1 - w) * math.log(self.default))
        return min(HIGHEST, max(LOWEST, learned))

    # -------------------------------------------------------- persistence

    def to_dict(self) -> dict[str, object]:
        """Everything learned, as plain JSON-able values."""
        return {
            "version": _VERSION,
            "bins_per_doubling": BINS_PER_DOUBLING,
            "gaps": [v / self._unit for v in self._gaps],
            "breaks": [v / self._unit for v in self._breaks],
            "seen_gaps": self.seen_gaps,
            "seen_breaks": self.seen_breaks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], default: float = 8.5 * MINUTE) -> PauseModel:
        """The model `to_dict` wrote; ValueError saying what is wrong otherwise."""
        if data.get("version") != _VERSION:
            raise ValueError(f"pause model version {data.get('version')!r}, expected {_VERSION}")
        if data.get("bins_per_doubling") != BINS_PER_DOUBLING:
            raise ValueError("pause model made with other bins")
        model = cls(default)
        for key, target in (("gaps", model._gaps), ("breaks", model._breaks)):
            values = data.get(key)
            if not isinstance(values, list) or len(values) != BIN_COUNT:
                raise ValueError(f"pause model {key!r}: expected a list of {BIN_COUNT} numbers")
            for i, v in enumerate(values):
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise ValueError(f"pause model {key!r}[{i}]: not a number: {v!r}")
                if not (math.isfinite(v) and v >= 0):
                    raise ValueError(f"pause model {key!r}[{i}]: expected >= 0, found {v!r}")
                target[i] = float(v)
        for key in ("seen_gaps", "seen_breaks"):
            v = data.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"pause model {key!r}: expected a count, found {v!r}")
        model.seen_gaps = int(data["seen_gaps"])  # type: ignore[call-overload]
        model.seen_breaks = int(data["seen_breaks"])  # type: ignore[call-overload]
        return model
