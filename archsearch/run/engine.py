"""The one search engine: steady-state ask -> train (to a rung) -> promote -> record, for every kind of
search (autoencoders, transfer learning, weight evolution as the inner loop; a toy fitness in tests).
Without rungs, each candidate is trained once by its evaluator's own settings; with them, multi-fidelity.

No generation barrier: whenever a worker is free it gets the next job at once. A job is either a
promotion (a candidate in the top 1/eta of its rung continues, from its checkpoint, to the next rung's
budget: `run.rungs`) or a new candidate from the strategy at the lowest rung; once every new candidate
has started, a worker that would idle while the last jobs run takes a waiting candidate one rung up
if that should end no later (backfill). The strategy still asks
and is told in batches (its "generations"): it may be asked for the next batch before the last one is
told, and each batch is told, in order, once all its candidates have their lowest-rung results. The
strategy thus compares candidates at one fidelity; promotion decides which of them earn more.

A time box (`seconds`) stops issuing jobs, new candidates and promotions alike, once the run has searched
that long (counted across resumes); the jobs running then finish. No job starts that is expected to end
after the box, since its training could not count: a promotion expected (from the candidate's own pace)
to end too late is passed over for a new candidate, and the box closes once a new candidate would end
too late (the median lowest-rung time so far). Comparisons at equal wall time use it.

Exact resume. Every job is journalled when it is issued (`Issued`) and every result when it comes back,
so the journal holds the order of both. A resumed run replays that order: each issue is decided again
(and checked against the journal) and each result is read back instead of trained, so the strategy and
the ladder reach exactly the interrupted run's state, whatever the number of workers; jobs issued but
unfinished are then run again. With one worker, the seed alone fixes the whole history.

The engine knows no Keras: an evaluator takes (genome, seed[, parent keys], fidelity) and saves and
reads its checkpoints at the paths the `Fidelity` names.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from archsearch.core.errors import ResumeError
from archsearch.core.fidelity import Fidelity
from archsearch.core.genomes import JsonGenome
from archsearch.core.records import EvaluationRecord, EvaluationResult
from archsearch.core.rungs import Ladder, Rungs
from archsearch.run.candidates import Evaluator, Observer, candidate_seed, genome_key
from archsearch.run.clock import WALL, SimulatedClock, WallClock
from archsearch.run.journal import Issued, Journal, TimeUp
from archsearch.strategies.base import DEFAULT_GENES, STARTING_POINT, Proposal, Strategy


@dataclass(frozen=True)
class Job:
    """One evaluation to run: a candidate trained to its rung's budget."""

    index: int
    proposal: Proposal
    generation: int  # the strategy batch the candidate came from
    rung: int
    candidate: int  # the index of the candidate's first evaluation
    number: int  # the candidate's number: candidates counted in the order they started (Optuna's trial number)
    continued_from: int | None = None  # the evaluation whose checkpoint this one continues
    cached_from: int | None = None  # a repeated genome: carries that evaluation's result, trains nothing
    backfill: bool = False  # a promotion beyond the rule, into an idle worker at the end of the run
    passed_over: bool = False  # issued instead of a promotion that would have ended after the time box


# A strategy whose last this many new candidates all repeated earlier ones has converged: the run starts no
# more (it drains, promotions included). Repeats cost nothing to train, so without this a converged
# strategy would fill the journal with them until the time box, or forever in simulated time.
CONVERGED_AFTER = 200


class InlineExecutor:
    """Runs each evaluation at once, in this process: `submit` returns a finished future."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.workers = 1
        self.inherits = getattr(evaluator, "inherits", False)  # what a pool wrapping it (`PredictedPool`) asks

    def submit(self, *task) -> Future:
        future: Future = Future()
        future.set_result(self.evaluator.evaluate(*task))
        return future


def checkpoint_path(checkpoints: Path, index: int) -> Path:
    """Where evaluation `index` saved the training it ended with (kept until a promotion continues it)."""
    return Path(checkpoints) / f"{index}.npz"


def executor_for(evaluator: Evaluator):
    """A pool of worker processes submits as it is (`submit`, `workers`); anything else runs inline."""
    return evaluator if hasattr(evaluator, "submit") else InlineExecutor(evaluator)


@dataclass
class AsyncEngine:
    strategy: Strategy
    evaluator: Evaluator
    seed: int
    # None: one rung, each candidate trained once by the evaluator's own settings (no `Fidelity` passed:
    # any evaluator fits, e.g. transfer fine-tuning or weight evolution).
    rungs: Rungs | None = None
    checkpoints: Path | None = None  # where candidates' checkpoints live (None: no continuation possible)
    journal: Journal | None = None
    observer: Observer | None = None
    candidate_key: Callable[[JsonGenome], str] = genome_key
    seconds: float | None = None  # the time box: no job is issued after this many seconds of searching
    # With a clock of its own (simulated or predicted seconds), a safety net of real seconds too: no job
    # is issued after this many seconds of this session (the history then depends on the machine).
    wall_seconds: float | None = None
    # State, rebuilt by replay.
    ladder: Ladder = field(init=False)
    records: dict[int, EvaluationRecord] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.rungs is not None and self.rungs.top > 0 and self.checkpoints is None:
            raise ValueError("a run with several rungs needs a directory for checkpoints")
        rungs = self.rungs or Rungs(1, 1)
        # A strategy may bring its own promotion rule (Optuna's pruners); ASHA otherwise.
        self.ladder = self.strategy.ladder(rungs) or Ladder(rungs)
        self._jobs: dict[int, Job] = {}
        self._in_flight: set[int] = set()
        self._started = 0  # new candidates issued
        self._generation = 0
        self._buffer: deque[Proposal] = deque()
        self._batches: deque[tuple[int, list[int]]] = deque()  # (generation, job indices) awaiting `tell`
        self._first_by_key: dict[str, int] = {}  # candidate key -> index of its first evaluation
        self._waiting: dict[int, list[Job]] = {}  # original's index -> repeats awaiting its result
        self._latest: dict[int, int] = {}  # candidate -> index of its latest finished evaluation
        self._journalled: dict[int, EvaluationRecord] = {}  # while replaying: the journal's records
        self._expected_end: dict[int, float] = {}  # running promotions: when they should end (`clock.now`)
        self._spent_before = 0.0  # seconds searched before this session (a resumed run: its last issue's)
        self._replayed_at: float | None = None  # while replaying an issue: the seconds searched when it was made
        self.clock: WallClock | SimulatedClock = WALL  # the executor's own, if it simulates time
        self._clock = self.clock.now()
        self._box_closed = False  # the time box closed: no job is issued any more (journalled as `TimeUp`)
        self._repeats_in_a_row = 0  # new candidates in a row that repeated earlier ones (`CONVERGED_AFTER`)

    # ----- running -----

    def run(self, candidates: int, replay: Sequence[EvaluationRecord | Issued | TimeUp] = ()) -> list[EvaluationRecord]:
        """Starts `candidates` new candidates, promotes by the ASHA rule, and ends when every job has
        finished and none qualifies any more (the run then holds a candidate at the top rung, unless
        every candidate failed). Returns every evaluation in index order."""
        self._candidates = candidates
        executor = executor_for(self.evaluator)
        self.clock = getattr(executor, "clock", WALL)
        self._replay(replay)
        self._clock, self._wall_start = self.clock.now(), WALL.now()
        running: dict[Future, Job] = {}
        for index in sorted(self._in_flight):  # issued before the interruption, never finished
            job = self._jobs[index]
            if job.cached_from is None:
                running[self._submit(executor, job)] = job
        while True:
            while len(running) < executor.workers:
                pass_over = self._too_late_to_promote()
                if self._time_is_up() or self._too_late_to_start(pass_over):
                    self._note_time_up()
                    break
                job = self._next_job(pass_over) or self._backfill(running)
                if job is None:
                    break
                self._issue(job, live=True)
                if job.cached_from is None:
                    running[self._submit(executor, job)] = job
                else:
                    self._cached(job, live=True)
            if not running:
                break
            done = (executor.wait_first(running) if hasattr(executor, "wait_first")
                    else wait(running, return_when=FIRST_COMPLETED)[0])
            for future in sorted(done, key=lambda f: running[f].index):
                self._complete(running.pop(future), future.result(), live=True)
        return [self.records[i] for i in sorted(self.records)]

    def searched_seconds(self) -> float:
        """Seconds this run has searched: before the interruption (as journalled) and since. While an
        issue is replayed, the journalled time it was made at, so that the decisions that hang on the time
        left (a promotion that fits the box) come out as they did, however long the resume took."""
        if self._replayed_at is not None:
            return self._replayed_at
        return self._spent_before + self.clock.now() - self._clock

    def _time_is_up(self) -> bool:
        if self.wall_seconds is not None and WALL.now() - self._wall_start >= self.wall_seconds:
            return True
        return self.seconds is not None and (self._box_closed or self.searched_seconds() >= self.seconds)

    def _note_time_up(self) -> None:
        """Closes the time box and journals it (once), so a resume with the same box issues nothing more."""
        if self.journal and not self._box_closed:
            self.journal.append_time_up(TimeUp(round(self.searched_seconds(), 3), self.seconds))
        self._box_closed = True

    def _replay(self, events: Sequence[EvaluationRecord | Issued | TimeUp]) -> None:
        self._journalled = {e.index: e for e in events if isinstance(e, EvaluationRecord)}
        if self._journalled and not any(isinstance(e, Issued) for e in events):
            raise ResumeError("journal: written by an archsearch older than its asynchronous engine (no issued "
                              "jobs); this version cannot resume it")
        anchor = None  # (seconds searched, wall clock) at the last issue
        for event in events:
            if isinstance(event, TimeUp):
                self._spent_before = max(self._spent_before, event.seconds)
                self._box_closed = self._box_closed or (self.seconds is not None and event.box is not None
                                                        and event.box >= self.seconds)
            elif isinstance(event, Issued):
                self._replayed_at = event.seconds
                job = self._backfilled(event) if event.backfill else self._next_job(event.passed_over)
                self._replayed_at = None
                proposed = None if job is None else (job.proposal.genome.key, self._budget(job))
                if job is None or job.index != event.index or proposed != (event.genome_key, event.budget):
                    raise ResumeError(
                        f"journal: job {event.index} trained {_job_words(event.genome_key, event.budget)}, but the "
                        f"run now issues {_job_words(*proposed) if proposed else 'nothing'}: the run's settings or "
                        "archsearch's version differ from the journal's")
                self._issue(job, live=False)
                if event.seconds is not None and event.at is not None:
                    anchor = (event.seconds, event.at)
                    self._spent_before = max(self._spent_before, event.seconds)
                if job.cached_from is not None:
                    self._cached(job, live=False)
            elif event.cached_from is None:
                if anchor is not None and event.finished_at:  # searched until this result: since the last issue
                    self._spent_before = max(self._spent_before, anchor[0] + event.finished_at - anchor[1])
                if event.index not in self._in_flight:
                    raise ResumeError(f"journal: evaluation {event.index} finished before it was issued")
                self._complete(self._jobs[event.index], event.result, live=False)
        self._journalled = {}

    # ----- backfilling the end of a run -----

    def _backfill(self, running: dict[Future, Job]) -> Job | None:
        """Once every new candidate has started, a worker that would idle while others finish takes the best
        waiting candidate's next rung (highest rung first), if that is expected to end before the longest
        running job does: the run's end comes no later, and the idle core trains another contender. The
        decision depends on timing, so the journal marks it (`Issued.backfill`) and a resume replays it."""
        if not self._no_more_candidates() or not running or self.rungs is None:
            return None
        now = self.clock.now()
        horizon = max(self._expected_end.get(job.index, now) for job in running.values())
        for rung in range(self.rungs.top - 1, -1, -1):
            for candidate in self.ladder.waiting(rung):
                needed = self._estimate(candidate, rung + 1)
                if needed is not None and now + needed <= horizon:
                    return replace(self._promotion_job(candidate, rung), backfill=True)
        return None

    def _backfilled(self, event: Issued) -> Job | None:
        """The backfill a journal recorded: the same candidate's next rung."""
        rung = self.rungs.budgets.index(event.budget) - 1 if self.rungs and event.budget in self.rungs.budgets else -1
        for candidate in self.ladder.waiting(rung) if rung >= 0 else ():
            if self.records[self._latest[candidate]].genome.key == event.genome_key:
                return replace(self._promotion_job(candidate, rung), backfill=True)
        return None

    def _estimate(self, candidate: int, rung: int) -> float | None:
        """Seconds to train `candidate` on to `rung`, from its own pace so far (None: no pace known)."""
        latest = self.records[self._latest[candidate]]
        trained = latest.budget - (self.rungs.budgets[latest.rung - 1] if latest.rung else 0)
        if not latest.result.ok or trained <= 0 or latest.result.train_seconds <= 0:
            return None
        per_image = latest.result.train_seconds / trained
        fixed = latest.result.seconds - latest.result.train_seconds
        return per_image * (self.rungs.budgets[rung] - latest.budget) + fixed

    def _submit(self, executor, job: Job) -> Future:
        if job.continued_from is not None:
            estimate = self._estimate(job.candidate, job.rung)
            if estimate is not None:
                self._expected_end[job.index] = self.clock.now() + estimate
        genome = job.proposal.genome
        inherits = getattr(self.evaluator, "inherits", False)  # only then do parents' keys mean anything
        parents = tuple(self.records[p].genome.key for p in job.proposal.parents) if inherits else ()
        fidelity = self._fidelity(job) if self.rungs is not None else None
        return executor.submit(genome, candidate_seed(self.seed, genome), parents, fidelity)

    def _fidelity(self, job: Job) -> Fidelity:
        start = self.rungs.budgets[job.rung - 1] if job.rung else 0
        return Fidelity(self._budget(job), self.rungs.budgets[-1], start,
                        self._checkpoint(job.continued_from) if job.continued_from is not None else None,
                        self._checkpoint(job.index) if self.checkpoints is not None else None)

    def _checkpoint(self, index: int) -> str:
        return str(checkpoint_path(self.checkpoints, index))

    def _budget(self, job: Job) -> int | None:
        return None if self.rungs is None else self.rungs.budgets[job.rung]

    # ----- deciding the next job -----

    def _too_late_to_promote(self) -> bool:
        """Under a time box: promotions qualify now, but each is expected to end after the box."""
        if self.seconds is None or self.rungs is None:
            return False
        return self._qualifying_promotion(within_box=False) is not None and self._qualifying_promotion() is None

    def _qualifying_promotion(self, within_box: bool = True) -> tuple[int, int] | None:
        """The ladder's next promotion (if none, once draining with nothing running, its final one); under
        a time box, the first expected to end within it, so one climb too long for the time left (the
        default genes' to the top rung, say) does not hold back the shorter ones behind it. Lazy: the
        ladder ranks a rung only when the promotions before it do not fit."""
        qualified = False
        for promotion in self.ladder.promotions():
            qualified = True
            if not within_box or self._ends_within_box(*promotion):
                return promotion
        if qualified or not self._no_more_candidates() or self._in_flight:
            return None
        final = self.ladder.final_promotion()
        return final if final is not None and (not within_box or self._ends_within_box(*final)) else None

    def _ends_within_box(self, candidate: int, rung: int) -> bool:
        if self.seconds is None:
            return True
        needed = self._estimate(candidate, rung + 1)
        return needed is None or self.searched_seconds() + needed <= self.seconds

    def _too_late_to_start(self, pass_over: bool) -> bool:
        """Under a time box: the next job would be a new candidate, and a lowest-rung evaluation has so far
        taken (median) longer than the time left. The run then ends instead of training what cannot count."""
        if self.seconds is None or self._no_more_candidates() or (
                not pass_over and self.ladder.promotion() is not None):
            return False
        durations = [r.result.seconds for r in self.records.values()
                     if r.rung == 0 and r.cached_from is None and r.result.ok]
        return bool(durations) and self.searched_seconds() + statistics.median(durations) > self.seconds

    def _no_more_candidates(self) -> bool:
        """Every new candidate has started, or the strategy has converged (`CONVERGED_AFTER`)."""
        return self._started >= self._candidates or self._repeats_in_a_row >= CONVERGED_AFTER

    def _next_job(self, pass_over: bool = False) -> Job | None:
        """A promotion if one qualifies (unless `pass_over`: it would end after the time box), else a new
        candidate while the budget lasts; once draining with nothing running, the move that leaves a
        finished candidate at the top rung."""
        promotion = None if pass_over else self._qualifying_promotion()
        if promotion is not None:
            return self._promotion_job(*promotion)
        if self._no_more_candidates():
            return None
        if not self._buffer:
            self._buffer.extend(self.strategy.ask()[: self._candidates - self._started])
            self._batches.append((self._generation, []))
            self._generation += 1
        proposal = self._buffer.popleft()
        index = self._next_index()
        self._batches[-1][1].append(index)
        original = self._first_by_key.get(self.candidate_key(proposal.genome))
        return Job(index, proposal, self._batches[-1][0], 0, index if original is None else original, self._started,
                   cached_from=original, passed_over=pass_over)

    def _promotion_job(self, candidate: int, rung: int) -> Job:
        """`candidate` continues from its latest evaluation (at `rung`) to the next rung."""
        latest = self.records[self._latest[candidate]]
        return Job(self._next_index(), Proposal(latest.genome, latest.parents, latest.operator), latest.generation,
                   rung + 1, candidate, latest.candidate, continued_from=latest.index)

    def _next_index(self) -> int:
        return len(self._jobs)

    def _issue(self, job: Job, live: bool) -> None:
        self._jobs[job.index] = job
        self._in_flight.add(job.index)
        if job.rung == 0:
            self._started += 1  # after `number` was taken from it
            self._repeats_in_a_row = self._repeats_in_a_row + 1 if job.cached_from is not None else 0
            self._first_by_key.setdefault(self.candidate_key(job.proposal.genome), job.index)
            if job.cached_from is None:
                self.ladder.start(job.candidate, job.proposal.genome.key)
                if job.proposal.operator in (STARTING_POINT, DEFAULT_GENES) and not self.ladder.favoured:
                    # the search's own baseline, trained in the final regime: an earlier run's best when the
                    # run was warm-started from one, else the space's default genes
                    self.ladder.favour(job.candidate)
        else:
            self.ladder.mark_promoted(job.candidate, job.rung - 1)
        if live and self.journal:
            self.journal.append_issued(Issued(job.index, job.proposal.genome.key, self._budget(job), job.backfill,
                                              job.passed_over, round(self.searched_seconds(), 3), self.clock.stamp()))
        if hasattr(self.observer, "on_started"):
            self.observer.on_started(job.rung)
        if job.rung == 0 and hasattr(self.observer, "on_candidate"):
            parents = tuple(self.records[p].candidate for p in job.proposal.parents)
            self.observer.on_candidate(job.number, job.index, job.proposal.genome, parents, job.proposal.operator,
                                       job.generation)

    # ----- results -----

    def _cached(self, job: Job, live: bool) -> None:
        """A repeated genome carries its original's first result, now or when that arrives."""
        original = self.records.get(job.cached_from)
        if original is None:
            self._waiting.setdefault(job.cached_from, []).append(job)
        else:
            self._complete(job, original.result, live)

    def _complete(self, job: Job, result: EvaluationResult, live: bool) -> None:
        record = None if live else self._journalled.get(job.index)
        if record is None:  # a new result (or one the interruption kept from the journal)
            record = EvaluationRecord(job.index, job.generation, job.proposal.genome, result, job.proposal.parents,
                                      job.proposal.operator, job.cached_from, self.clock.stamp(), self._budget(job),
                                      job.rung, job.continued_from, job.number)
            if self.journal:
                self.journal.append(record)
        self._in_flight.discard(job.index)
        self.records[job.index] = record
        if self.observer:
            self.observer.on_record(record, replayed=not live)
        if job.cached_from is None:
            self.ladder.add(job.candidate, job.rung, result.fitness)
            self._latest[job.candidate] = job.index
            if job.continued_from is not None and live:
                Path(self._checkpoint(job.continued_from)).unlink(missing_ok=True)  # superseded
            for repeat in self._waiting.pop(job.index, []):
                self._complete(repeat, result, live)
            if job.rung > 0:
                self.strategy.tell_rung(record)
        self._tell_finished_batches()

    def _tell_finished_batches(self) -> None:
        """Tells the strategy each batch whose candidates all have their first result, oldest first."""
        while self._batches and all(i in self.records for i in self._batches[0][1]):
            if self._buffer and len(self._batches) == 1:
                return  # the batch is still being handed out
            generation, indices = self._batches.popleft()
            batch = [self.records[i] for i in indices]
            self.strategy.tell(batch)
            if self.observer:
                self.observer.on_generation(generation, [self.records[i] for i in sorted(self.records)])


def _job_words(genome_key: str, budget: int | None) -> str:
    return f"genome {genome_key}" + (f" to budget {budget}" if budget is not None else "")
