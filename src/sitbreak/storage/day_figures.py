"""Daily figures from what is stored, by the core `DayLedger`.

The one code path for daily figures: the daemon's end-of-day summary, its
status and every report agree because they are this same code. Outputs are
fed to a single ledger in the order they were noticed, so a day's figures do
not depend on which range they were asked for in.
"""

from __future__ import annotations

import datetime as dt

from sitbreak.core import DayFigures, DayLedger, EngineSettings, Output, SessionEnded
from sitbreak.storage.queries import Queries, stored_session
from sitbreak.storage.schema import DAEMON


def _day_bounds(date: dt.date, tz: dt.tzinfo) -> tuple[float, float]:
    start = dt.datetime.combine(date, dt.time(0), tz).timestamp()
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tz).timestamp()
    return start, end


#: Read around a day for its figures; far more than any heeded window plus slack.
_MARGIN_S = 86400.0

#: Which DayFigures count each recorded prompt outcome.
_OUTCOME_FIELD = {
    "heeded": "prompts_acted",
    "snoozed": "prompts_snoozed",
    "skipped": "prompts_skipped",
    "ignored": "prompts_ignored",
}


def _feed_key(o: Output) -> float:
    """The ledger must see outputs in the engine's order, which is by `t`.

    `t` is when the engine emitted an output; for a session that is when its
    end was noticed, later than the end itself, and a move prompt is judged
    heeded by the next session end the ledger sees.
    """
    return o.t


class DayFigureQueries(Queries):
    """Figures of local days, computed from the stored sessions, breaks and prompts."""

    def day_figures(
        self,
        date: dt.date,
        tz: dt.tzinfo,
        source: str = DAEMON,
        settings: EngineSettings | None = None,
        live: SessionEnded | None = None,
    ) -> DayFigures:
        """One local day's figures, computed by the core DayLedger from what is stored.

        `settings` gives the limit and the heeded window, as in `sitbreak replay`.
        `live` is the daemon's session in progress, up to now: it stands in for
        the stored row of the same start, whose end is only the last checkpoint.
        """
        return self.figures_between(date, date, tz, source, settings=settings, live=live)[0]

    def figures_between(
        self,
        first: dt.date,
        last: dt.date,
        tz: dt.tzinfo,
        source: str = DAEMON,
        *,
        settings: EngineSettings | None = None,
        live: SessionEnded | None = None,
    ) -> list[DayFigures]:
        """Figures for each local day from `first` to `last`, in one pass.

        The one code path for daily figures (the daemon's summary line, status
        and every report): outputs are fed to a single DayLedger in the order
        they were noticed, so a day's figures do not depend on which range
        they were asked for in.
        """
        s = settings if settings is not None else EngineSettings()
        lo, hi = _day_bounds(first, tz)[0], _day_bounds(last, tz)[1]
        outputs = self._outputs_between(lo - _MARGIN_S, hi + _MARGIN_S, source)
        if live is not None:
            outputs = [
                o for o in outputs if not (isinstance(o, SessionEnded) and o.start == live.start)
            ]
            outputs.append(live)
        ledger = DayLedger(tz, limit_s=s.move_after, heeded_within=s.heeded_within)
        ledger.extend(sorted(outputs, key=_feed_key))
        days = []
        date = first
        while date <= last:
            days.append(ledger.day(date))
            date += dt.timedelta(days=1)
        by_date = {d.date: d for d in days}
        for t, _kind, outcome in self.prompt_outcomes(lo, hi, source):
            fig = by_date.get(dt.datetime.fromtimestamp(t, tz).date())
            if fig is not None and outcome is not None:
                field = _OUTCOME_FIELD.get(outcome)
                if field is not None:
                    setattr(fig, field, getattr(fig, field) + 1)
        return days

    def _outputs_between(self, lo: float, hi: float, source: str) -> list[Output]:
        """Everything stored in [lo, hi).

        Whether a move prompt was heeded is settled by the end of the session it
        was sent in, and that end can fall before the day began: a prompt at
        00:00:10 to someone who last typed at 23:59:50 and got up. Callers read
        a margin on each side; the ledger puts each output in its own day.
        """
        rows = self._read(
            'SELECT start, "end", cause, noticed FROM sessions '
            'WHERE source = ? AND start < ? AND "end" >= ?',
            (source, hi, lo),
        )
        outputs: list[Output] = [stored_session(r) for r in rows]
        outputs.extend(self.breaks_between(lo, hi, source))
        outputs.extend(self.prompts_between(lo, hi, source))
        return outputs
