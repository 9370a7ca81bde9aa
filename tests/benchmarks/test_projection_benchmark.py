"""Benchmark: read models against the raw notification log, on PostgreSQL.

Run with ``make benchmark PYTEST_ARGS="-k projection"``. In one run, in a fresh schema:

- it seeds more than 200,000 events of a realistic mix (a UHRI catalogue, organisations and
  members, monitoring rounds with assessments, revisions, co-signatures, comments, joint positions
  with amendments, stances, adoptions and publications), built with the domain's own aggregates and
  saved many aggregates per ``save()``;
- it reads the raw notification log from start to end in pages (events/s), and again decoding each
  notification into its domain event;
- it rebuilds every read model from the log as ``council project --rebuild`` does (in one process
  per CPU, up to 4; ``graphql_api.rebuild``) and in one process (``--jobs 1``),
  and reports the rate of log read, and its ratio to the raw read rate (target: at least 0.25);
- under a steady write load (real ``Council`` commands: co-signatures and comments, at
  ``WRITE_RATE`` a second) with ``council project`` running as its own process, it measures the
  save-to-visible lag: from a command returning to every projection's tracking position reaching
  the command's log position, as seen by a poller (target: p99 under 50 ms). It does so twice:
  first while the worker also adds the seeded log to the audit tree, then in steady work, the
  audit tree caught up (the run the target is read from).

It prints the figures and writes them to the "Read models" section of docs/benchmarks.md, saying
whether each target was met; it does not fail on a missed target (machines are shared and noisy).
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO
from uuid import UUID

import psycopg
import pytest
from eventsourcing.domain import Aggregate

from domain.application import Council
from domain.assessment import Assessment
from domain.comment import Comment
from domain.joint_position import JointPosition
from domain.member import Member
from domain.organisation import Organisation
from domain.recommendation import CatalogueEntry, Recommendation
from domain.round import MonitoringRound, RoundPhase
from domain.values import (
    SYSTEM_ACTOR_ID,
    Actor,
    AssessmentState,
    DecisionMethod,
    ImplementationStatus,
    OrganisationKind,
    Role,
    StateResponse,
    StatusBasis,
    SubjectKind,
    Track,
)
from graphql_api.rebuild import default_jobs, rebuild_read_models
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.base import BINARY_ROWS
from projections.runner import REBUILD_BATCH_SIZE
from tests.benchmarks.results import write_section
from tests.benchmarks.support import SECRET, fresh_env, fresh_runtime
from tests.conftest import postgres_url_or_skip

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Read models"
COMMAND = 'make benchmark PYTEST_ARGS="-k projection"'
MIN_EVENTS = 200_000
RECOMMENDATIONS = 24_000
ROUNDS = 12
ROUND_SIZE = 2_000
SAVE_CHUNK = 500  # aggregates per save(): one transaction each
READ_PAGE = 1_000
REBUILD_REPEATS = int(os.environ.get("BENCH_REBUILD_REPEATS", "5"))
WRITE_RATE = 50.0  # commands a second
WRITE_SECONDS = float(os.environ.get("BENCH_WRITE_SECONDS", "30"))
POLL_SECONDS = 0.001
JOBS = default_jobs()
AUDIT_POLLS = 100
RATINGS = list(ImplementationStatus)[1:]
THEMES = ["Minorities and Roma", "Education", "Justice and rule of law", "Rights of the child"]
STATES = ["Norway", "Chile", "Austria", "Brazil", "Canada", "Egypt", "Spain", "Romania"]
WORDS = ["ensure", "adopt", "strengthen", "the", "right", "of", "persons", "to", "equal", "access"]

pytestmark = [pytest.mark.benchmark, pytest.mark.postgres]


# --- seeding -----------------------------------------------------------------------------------


class Clock:
    """Event times: one second apart, from a fixed start."""

    def __init__(self) -> None:
        self.now = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class Cast:
    """The organisations of the seeded council, by kind, and their members."""

    platform_csos: list[UUID] = field(default_factory=list)
    other_csos: list[UUID] = field(default_factory=list)
    state_bodies: list[UUID] = field(default_factory=list)
    secretariat: UUID = SYSTEM_ACTOR_ID
    members: dict[UUID, list[UUID]] = field(default_factory=dict)

    def member(self, rng: random.Random, organisation_id: UUID) -> UUID:
        return rng.choice(self.members[organisation_id])

    def peers(self, track: Track) -> list[UUID]:
        return self.platform_csos if track is Track.CIVIL_SOCIETY else self.state_bodies


@dataclass
class Seeded:
    events: int
    cast: Cast
    open_assessments: list[tuple[UUID, int, UUID]]  # id, revision, owner: signable by others
    seconds: float


class Seeder:
    """Builds aggregates with the domain's own methods and saves them in large transactions."""

    def __init__(self, council: Council, rng: random.Random) -> None:
        self.council = council
        self.rng = rng
        self.clock = Clock()
        self.cast = Cast()
        self.recommendations: dict[UUID, Recommendation] = {}

    def save(self, aggregates: Sequence[Aggregate]) -> None:
        for start in range(0, len(aggregates), SAVE_CHUNK):
            self.council.save(*aggregates[start : start + SAVE_CHUNK])

    def run(self) -> Seeded:
        started = time.perf_counter()
        self.directory()
        self.catalogue()
        open_assessments: list[tuple[UUID, int, UUID]] = []
        ids = list(self.recommendations)
        for number in range(ROUNDS):
            open_assessments.extend(self.round(number, self.rng.sample(ids, ROUND_SIZE)))
        events = self.council.log_position()
        return Seeded(events, self.cast, open_assessments, time.perf_counter() - started)

    def directory(self) -> None:
        kinds = (
            [(OrganisationKind.SECRETARIAT, False)]
            + [(OrganisationKind.CSO, True)] * 40
            + [(OrganisationKind.CSO, False)] * 10
            + [(OrganisationKind.STATE_BODY, False)] * 20
            + [(OrganisationKind.OBSERVER, False)] * 5
        )
        aggregates: list[Aggregate] = []
        for number, (kind, platform_member) in enumerate(kinds):
            organisation = Organisation.register(
                id=uuid.uuid4(),
                name=f"{kind.value.replace('_', ' ').title()} {number}",
                kind=kind,
                platform=platform_member,
                actor_id=SYSTEM_ACTOR_ID,
                at=self.clock(),
            )
            aggregates.append(organisation)
            roles = {
                OrganisationKind.SECRETARIAT: [Role.SECRETARIAT],
                OrganisationKind.CSO: [Role.EDITOR, Role.SIGNATORY],
                OrganisationKind.STATE_BODY: [Role.EDITOR, Role.SIGNATORY],
                OrganisationKind.OBSERVER: [Role.AUDITOR],
            }[kind]
            members = []
            for _ in range(3):
                member = Member.register(
                    id=uuid.uuid4(),
                    organisation_id=organisation.id,
                    roles=roles,
                    sealed_personal_data=f"sealed:{uuid.uuid4().hex}",
                    actor_id=SYSTEM_ACTOR_ID,
                    at=self.clock(),
                )
                members.append(member.id)
                aggregates.append(member)
            self.cast.members[organisation.id] = members
            if kind is OrganisationKind.SECRETARIAT:
                self.cast.secretariat = organisation.id
            elif kind is OrganisationKind.STATE_BODY:
                self.cast.state_bodies.append(organisation.id)
            elif kind is OrganisationKind.CSO:
                (self.cast.platform_csos if platform_member else self.cast.other_csos).append(
                    organisation.id
                )
        self.save(aggregates)

    def catalogue(self) -> None:
        rng = self.rng
        for document in range(RECOMMENDATIONS // 100):
            at = self.clock()
            batch = []
            for paragraph in range(100):
                entry = self.entry(document, paragraph)
                recommendation = Recommendation.record(
                    entry=entry, source="UHRI export 2024-01", actor_id=SYSTEM_ACTOR_ID, at=at
                )
                self.recommendations[recommendation.id] = recommendation
                batch.append(recommendation)
            self.save(batch)
        changed: list[Aggregate] = []
        for recommendation in rng.sample(
            list(self.recommendations.values()), RECOMMENDATIONS // 16
        ):
            entry = recommendation.entry
            recommendation.update(
                entry=CatalogueEntry(**{**entry.as_fields(), "text": entry.text + " (revised)"}),
                source="UHRI export 2024-06",
                actor_id=SYSTEM_ACTOR_ID,
                at=self.clock(),
            )
            changed.append(recommendation)
        for recommendation in rng.sample(list(self.recommendations.values()), RECOMMENDATIONS // 5):
            recommendation.assign_responsible_bodies(
                organisation_ids=rng.sample(self.cast.state_bodies, rng.choice((1, 1, 2))),
                actor_id=self.cast.members[self.cast.secretariat][0],
                at=self.clock(),
            )
            changed.append(recommendation)
        self.save(changed)

    def entry(self, document: int, paragraph: int) -> CatalogueEntry:
        rng = self.rng
        return CatalogueEntry(
            mechanism="UPR",
            document_symbol=f"A/HRC/BENCH/{document + 1}",
            paragraph=f"{paragraph // 10 + 100}.{paragraph % 10 + 1}",
            text=" ".join(rng.choices(WORDS, k=rng.randint(15, 45))).capitalize(),
            session="43",
            cycle=4,
            recommending_states=rng.sample(STATES, rng.choice((1, 1, 2))),
            themes=rng.sample(THEMES, 2),
            affected_persons=["General"],
            sdgs=[str(rng.randint(1, 17))],
            state_response=rng.choice((StateResponse.SUPPORTED, StateResponse.NOTED)),
            document_date="2023-10-06",
        )

    def round(self, number: int, recommendation_ids: list[UUID]) -> list[tuple[UUID, int, UUID]]:
        """One monitoring round, phase by phase, so that its events interleave in the log."""
        secretary = self.cast.members[self.cast.secretariat][0]
        opened = MonitoringRound.open(
            id=uuid.uuid4(),
            title=f"Benchmark round {number + 1}",
            mechanism="UPR",
            cycle=4,
            recommendation_ids=recommendation_ids,
            assessments_due=date(2024, 4, 1),
            co_signing_due=date(2024, 4, 15),
            council_session_on=date(2024, 5, 1),
            co_sign_quorum=1,
            actor_id=secretary,
            at=self.clock(),
        )
        self.save([opened])

        assessments = self.propose(opened.id, recommendation_ids)
        self.work_on(assessments)
        self.comment(assessments)
        self.submit(assessments)
        positions = self.decide(opened.id, recommendation_ids, assessments)
        self.comment_positions(positions)
        opened.advance_phase(phase=RoundPhase.CO_SIGNING, actor_id=secretary, at=self.clock())
        opened.advance_phase(phase=RoundPhase.COUNCIL_SESSION, actor_id=secretary, at=self.clock())
        self.save([opened])
        return [
            (a.id, a.revision, a.organisation_id)
            for a in assessments
            if a.state is AssessmentState.OPEN_FOR_SIGNATURE
        ]

    def propose(self, round_id: UUID, recommendation_ids: list[UUID]) -> list[Assessment]:
        rng = self.rng
        assessments = []
        for recommendation_id in recommendation_ids:
            owners = [(rng.choice(self.cast.platform_csos), Track.CIVIL_SOCIETY)]
            if rng.random() < 0.4:
                owners.append((rng.choice(self.cast.state_bodies), Track.GOVERNMENT))
            for organisation_id, track in owners:
                assessments.append(
                    Assessment.propose(
                        id=uuid.uuid4(),
                        organisation_id=organisation_id,
                        round_id=round_id,
                        recommendation_id=recommendation_id,
                        track=track,
                        rating=rng.choice(RATINGS),
                        narrative=" ".join(rng.choices(WORDS, k=rng.randint(20, 80))),
                        evidence=[
                            {
                                "title": "Annual report",
                                "reference": f"Report {rng.randint(1, 999)}",
                                "date": "2023-12-01",
                                "kind": "report",
                            }
                        ][: rng.randint(0, 1)],
                        actor_id=self.cast.member(rng, organisation_id),
                        at=self.clock(),
                    )
                )
        self.save(assessments)
        return assessments

    def work_on(self, assessments: list[Assessment]) -> None:
        """Revisions, opening for signature, co-signatures in waves, some withdrawn."""
        rng = self.rng
        touched: list[Aggregate] = []
        for a in assessments:
            if rng.random() < 0.5:
                a.revise(
                    expected_revision=a.revision,
                    rating=rng.choice(RATINGS),
                    narrative=" ".join(rng.choices(WORDS, k=rng.randint(20, 80))),
                    evidence=[],
                    actor_id=self.cast.member(rng, a.organisation_id),
                    at=self.clock(),
                )
                touched.append(a)
        self.save(touched)
        opened = [a for a in assessments if rng.random() < 0.85]
        for a in opened:
            a.open_for_signature(
                expected_revision=a.revision,
                actor_id=self.cast.member(rng, a.organisation_id),
                at=self.clock(),
            )
        self.save(opened)
        for _wave in range(2):
            signed: list[Aggregate] = []
            for a in opened:
                if rng.random() < 0.6:
                    self.co_sign(a)
                    signed.append(a)
            self.save(signed)
        withdrawn: list[Aggregate] = []
        for a in opened:
            if a.signatures and rng.random() < 0.08:
                organisation_id = rng.choice(sorted(a.signatures, key=str))
                a.withdraw_co_signature(
                    organisation_id=organisation_id,
                    expected_revision=a.revision,
                    reason="We no longer agree with the rating",
                    actor_id=self.cast.member(rng, organisation_id),
                    at=self.clock(),
                )
                withdrawn.append(a)
        self.save(withdrawn)

    def co_sign(self, a: Assessment) -> None:
        rng = self.rng
        peers = [o for o in self.cast.peers(a.track) if o != a.organisation_id]
        organisation_id = rng.choice(peers)
        a.co_sign(
            organisation_id=organisation_id,
            revision=a.revision,
            actor_id=self.cast.member(rng, organisation_id),
            at=self.clock(),
        )

    def comment(self, assessments: list[Assessment]) -> None:
        rng = self.rng
        comments = []
        for a in assessments:
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                organisation_id = rng.choice(self.cast.platform_csos + self.cast.state_bodies)
                comments.append(
                    self.post(organisation_id, SubjectKind.ASSESSMENT, a.id, a.revision)
                )
        self.save(comments)
        changed: list[Aggregate] = []
        for c in comments:
            roll = rng.random()
            if roll < 0.15:
                c.edit(
                    expected_revision=c.revision,
                    text=c.text + " (edited)",
                    actor_id=c.author_id,
                    at=self.clock(),
                )
                changed.append(c)
            elif roll < 0.18:
                c.retract(
                    expected_revision=c.revision, reason="", actor_id=c.author_id, at=self.clock()
                )
                changed.append(c)
            elif roll < 0.19:
                c.hide(
                    expected_revision=c.revision,
                    reason="Off topic",
                    actor_id=self.cast.members[self.cast.secretariat][0],
                    at=self.clock(),
                )
                changed.append(c)
        self.save(changed)

    def submit(self, assessments: list[Assessment]) -> None:
        rng = self.rng
        submitted: list[Aggregate] = []
        for a in assessments:
            if a.signatures_on(a.revision) and rng.random() < 0.6:
                a.submit(
                    expected_revision=a.revision,
                    quorum=1,
                    actor_id=self.cast.member(rng, a.organisation_id),
                    at=self.clock(),
                )
                submitted.append(a)
            elif a.state is AssessmentState.DRAFT and rng.random() < 0.1:
                a.withdraw(
                    expected_revision=a.revision,
                    reason="Superseded by a joint assessment",
                    actor_id=self.cast.member(rng, a.organisation_id),
                    at=self.clock(),
                )
                submitted.append(a)
        self.save(submitted)

    def decide(
        self, round_id: UUID, recommendation_ids: list[UUID], assessments: list[Assessment]
    ) -> list[JointPosition]:
        """Joint positions: drafted, revised, amended, endorsed or dissented, adopted, published."""
        rng = self.rng
        secretary = self.cast.members[self.cast.secretariat][0]
        submitted = {
            a.recommendation_id: a for a in assessments if a.state is AssessmentState.SUBMITTED
        }
        positions = []
        for recommendation_id in recommendation_ids:
            basis = submitted.get(recommendation_id)
            if basis is None or rng.random() < 0.5:
                continue
            positions.append(
                JointPosition.draft(
                    id=uuid.uuid5(round_id, f"joint-position:{recommendation_id}"),
                    round_id=round_id,
                    recommendation_id=recommendation_id,
                    text=" ".join(rng.choices(WORDS, k=rng.randint(30, 90))),
                    proposed_status=basis.current.rating,
                    based_on=[{"assessment_id": str(basis.id), "revision": str(basis.revision)}],
                    actor_id=secretary,
                    at=self.clock(),
                )
            )
        self.save(positions)
        self.amend(positions)
        self.take_stances(positions)
        adopted: list[Aggregate] = []
        for p in positions:
            if rng.random() < 0.8:
                vote = rng.random() < 0.3
                p.adopt(
                    revision=p.revision,
                    session=f"{rng.randint(10, 30)}th session of the Council",
                    adopted_on=date(2024, 5, 1),
                    method=DecisionMethod.VOTE if vote else DecisionMethod.CONSENSUS,
                    votes_for=14 if vote else None,
                    votes_against=2 if vote else None,
                    abstentions=1 if vote else None,
                    divergent_views="",
                    actor_id=secretary,
                    at=self.clock(),
                )
                recommendation = self.recommendations[p.recommendation_id]
                recommendation.change_status(
                    status=p.current.proposed_status,
                    basis=StatusBasis.ADOPTED_POSITION,
                    joint_position_id=p.id,
                    position_revision=p.revision,
                    reason="",
                    actor_id=secretary,
                    at=self.clock(),
                )
                adopted.extend((p, recommendation))
        self.save(adopted)
        published: list[Aggregate] = []
        for p in positions:
            if p.adoption is not None and rng.random() < 0.7:
                p.publish(expected_revision=p.revision, actor_id=secretary, at=self.clock())
                if rng.random() < 0.03:
                    p.reopen(
                        expected_revision=p.revision,
                        reason="New information from the Ombudsman",
                        actor_id=secretary,
                        at=self.clock(),
                    )
                published.append(p)
        self.save(published)
        return positions

    def amend(self, positions: list[JointPosition]) -> None:
        rng = self.rng
        secretary = self.cast.members[self.cast.secretariat][0]
        touched: list[Aggregate] = []
        for p in positions:
            if rng.random() < 0.3:
                p.revise(
                    expected_revision=p.revision,
                    text=p.current.text + " Revised after discussion.",
                    proposed_status=rng.choice(RATINGS),
                    note="after the working group",
                    actor_id=secretary,
                    at=self.clock(),
                )
                touched.append(p)
            if rng.random() < 0.2:
                organisation_id = rng.choice(self.cast.platform_csos + self.cast.state_bodies)
                amendment_id = uuid.uuid4()
                p.propose_amendment(
                    amendment_id=amendment_id,
                    organisation_id=organisation_id,
                    revision=p.revision,
                    text=p.current.text + " With a timeline.",
                    rationale="A timeline makes it checkable",
                    actor_id=self.cast.member(rng, organisation_id),
                    at=self.clock(),
                )
                accept = rng.random() < 0.7
                p.decide_amendment(
                    amendment_id=amendment_id,
                    accept=accept,
                    reason="" if accept else "Out of scope",
                    expected_revision=p.revision,
                    actor_id=secretary,
                    at=self.clock(),
                )
                touched.append(p)
        self.save(touched)

    def take_stances(self, positions: list[JointPosition]) -> None:
        rng = self.rng
        touched: list[Aggregate] = []
        for p in positions:
            for organisation_id in rng.sample(self.cast.platform_csos, rng.choice((0, 1, 1, 2))):
                member = self.cast.member(rng, organisation_id)
                if rng.random() < 0.15:
                    p.record_dissent(
                        organisation_id=organisation_id,
                        revision=p.revision,
                        statement="Civil society was not consulted",
                        actor_id=member,
                        at=self.clock(),
                    )
                else:
                    p.endorse(
                        organisation_id=organisation_id,
                        revision=p.revision,
                        statement="",
                        actor_id=member,
                        at=self.clock(),
                    )
                touched.append(p)
        self.save(touched)

    def comment_positions(self, positions: list[JointPosition]) -> None:
        rng = self.rng
        comments: list[Aggregate] = []
        for p in positions:
            if rng.random() < 0.4:
                organisation_id = rng.choice(self.cast.platform_csos)
                comments.append(
                    self.post(organisation_id, SubjectKind.JOINT_POSITION, p.id, p.revision)
                )
        self.save(comments)

    def post(
        self, organisation_id: UUID, kind: SubjectKind, subject_id: UUID, revision: int
    ) -> Comment:
        """A comment of a few words by a member of ``organisation_id`` on a revision."""
        rng = self.rng
        return Comment.post(
            id=uuid.uuid4(),
            organisation_id=organisation_id,
            subject_kind=kind,
            subject_id=subject_id,
            subject_revision=revision,
            quote="",
            parent_id=None,
            text=" ".join(rng.choices(WORDS, k=rng.randint(8, 40))),
            actor_id=self.cast.member(rng, organisation_id),
            at=self.clock(),
        )


# --- measuring ---------------------------------------------------------------------------------


def read_rate(council: Council, *, decode: bool, page: int = READ_PAGE) -> float:
    """Events a second, reading the whole log in pages (and decoding each event)."""
    recorder, mapper = council.recorder, council.mapper
    started = time.perf_counter()
    position, count = 0, 0
    while notifications := recorder.select_notifications(
        start=position, limit=page, inclusive_of_start=False
    ):
        if decode:
            for notification in notifications:
                mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id
    return count / (time.perf_counter() - started)


@dataclass(frozen=True)
class Rebuilt:
    rate: float  # events of log a second
    seconds: float
    python_cpu: float  # CPU-seconds of this process and the rebuild's other processes


def rebuild_rate(runtime: Runtime, *, jobs: int) -> Rebuilt:
    """Empty every read model and project the whole log again, in ``jobs`` processes (as
    `council project --rebuild --jobs` does)."""
    events = runtime.council.log_position()
    before = os.times()
    started = time.perf_counter()
    applied = rebuild_read_models(runtime, jobs=jobs)
    seconds = time.perf_counter() - started
    after = os.times()
    assert applied == events * len(runtime.projections)
    # The pool's processes have been waited for: their CPU time is in the children's figures.
    cpu = sum(after[:4]) - sum(before[:4])
    return Rebuilt(events / seconds, seconds, cpu)


@dataclass
class LagRun:
    lags_ms: list[float]
    commands: int
    seconds: float
    audit_caught_up: float | None  # seconds into the run when the audit tree had the whole log

    def percentile(self, p: float) -> float:
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Writer:
    """Issues real commands at a steady rate: co-signatures and comments, alternately."""

    def __init__(self, council: Council, seeded: Seeded, rng: random.Random) -> None:
        self.council = council
        self.rng = rng
        self.signable = list(seeded.open_assessments)
        rng.shuffle(self.signable)
        self.actors: dict[UUID, Actor] = {}
        self.cast = seeded.cast
        self.written: list[tuple[int, float]] = []  # log position, monotonic time it returned
        self.lock = threading.Lock()
        self.issued = 0  # commands so far: a later run goes on with other assessments

    def actor(self, organisation_id: UUID) -> Actor:
        member_id = self.cast.members[organisation_id][1]
        if member_id not in self.actors:
            self.actors[member_id] = self.council.actor_for(member_id)
        return self.actors[member_id]

    def command(self, number: int) -> int | None:
        """One command; returns the log position of what it recorded (None: nothing new)."""
        assessment_id, revision, owner = self.signable[number // 2]
        track = Track.GOVERNMENT if owner in self.cast.state_bodies else Track.CIVIL_SOCIETY
        peers = [o for o in self.cast.peers(track) if o != owner]
        organisation_id = peers[number % len(peers)]
        if number % 2 == 0:
            outcome = self.council.co_sign_assessment(
                self.actor(organisation_id), assessment_id, revision=revision
            )
        else:
            outcome = self.council.post_comment(
                self.actor(organisation_id),
                subject_kind="assessment",
                subject_id=assessment_id,
                subject_revision=revision,
                text=f"Benchmark comment {number}",
            )
        return outcome.log_position if outcome.changed else None

    def run(self, stop: threading.Event, seconds: float) -> None:
        interval = 1 / WRITE_RATE
        started = time.monotonic()
        first = self.issued
        while not stop.is_set() and time.monotonic() - started < seconds:
            due = started + (self.issued - first) * interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            position = self.command(self.issued)
            if position is not None:  # an organisation that had already signed: nothing new
                with self.lock:
                    self.written.append((position, time.monotonic()))
            self.issued += 1


def poll_lags(
    url: str, read_schema: str, writer: Writer, done: threading.Event
) -> tuple[list[float], float | None]:
    """Watch the slowest projection's position; each command's lag ends when it passes it.

    Also returns when (seconds from the start) the audit tree first held every event written
    before the run, looked at every ``AUDIT_POLLS`` polls."""
    lags: list[float] = []
    seen = 0
    started = time.monotonic()
    deadline = started + WRITE_SECONDS + 60
    audit_caught_up: float | None = None
    with psycopg.connect(url, autocommit=True) as conn:
        query = f'SELECT MIN(position) FROM "{read_schema}".projection_tracking'
        audit = f'SELECT log_position FROM "{read_schema}".audit_tracking WHERE id = 1'
        polls = 0
        while True:
            polls += 1
            if audit_caught_up is None and polls % AUDIT_POLLS == 0 and writer.written:
                row = conn.execute(audit).fetchone()
                if row and int(row[0]) >= writer.written[0][0]:
                    audit_caught_up = time.monotonic() - started
            assert time.monotonic() < deadline, "the read models stopped following the writes"
            row = conn.execute(query).fetchone()
            now = time.monotonic()
            visible = int(row[0]) if row and row[0] is not None else 0
            with writer.lock:
                pending = writer.written[seen:]
            for position, returned in pending:
                if position > visible:
                    break
                lags.append((now - returned) * 1000)
                seen += 1
            if done.is_set() and seen == len(writer.written):
                return lags, audit_caught_up
            time.sleep(POLL_SECONDS)


def start_worker(settings: Settings, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`council project` as its own process, as in production; returns once its runners started."""
    env = dict(os.environ)
    env.update(
        {
            "COUNCIL_DATABASE_URL": settings.database_url,
            "COUNCIL_SCHEMA": settings.schema,
            "COUNCIL_SECRET_KEY": SECRET,
            "COUNCIL_LOG_LEVEL": "warning",
        }
    )
    council = str(Path(sys.executable).parent / "council")
    process = subprocess.Popen([council, "project"], env=env, stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert b"projection workers started" in line, line
    return process


def measure_lag(runtime: Runtime, writer: Writer, url: str, log: IO[bytes]) -> LagRun:
    """A run of ``WRITE_SECONDS`` with a `council project` of its own."""
    writer.written = []
    worker = start_worker(runtime.settings, log)
    stop, done = threading.Event(), threading.Event()
    lags: list[float] = []
    audit_caught_up: float | None = None

    def write() -> None:
        try:
            writer.run(stop, WRITE_SECONDS)
        finally:
            done.set()

    try:
        # One write before the clock starts: the worker has taken its locks and loaded its state.
        probe = writer.command(1)
        assert probe is not None
        runtime.runner.wait_for(probe, timeout=120)
        thread = threading.Thread(target=write, name="writer")
        started = time.monotonic()
        thread.start()
        lags, audit_caught_up = poll_lags(url, runtime.settings.database.read_schema, writer, done)
        thread.join()
        seconds = time.monotonic() - started
    finally:
        stop.set()
        worker.terminate()
        worker.wait(timeout=30)
    return LagRun(lags, len(writer.written), seconds, audit_caught_up)


def measure_lags(runtime: Runtime, seeded: Seeded, url: str, log: IO[bytes]) -> list[LagRun]:
    """Two runs: the first while the worker also adds the seeded log to the audit tree (its
    keeper's catching up shares the worker's process and the machine's CPUs), the second once
    the audit tree holds the whole log, as it does in steady work."""
    writer = Writer(runtime.council, seeded, random.Random(7))
    # Warm the writer's caches (actors, connections) before the clock starts.
    for organisation_id in seeded.cast.platform_csos + seeded.cast.state_bodies:
        writer.actor(organisation_id)
    catching_up = measure_lag(runtime, writer, url, log)
    runtime.audit.catch_up()
    return [catching_up, measure_lag(runtime, writer, url, log)]


# --- the benchmark -----------------------------------------------------------------------------


@dataclass
class Figures:
    events: int
    seed_seconds: float
    raw: list[float]
    decoded: list[float]
    rebuilds: list[Rebuilt]  # in JOBS processes, as `council project --rebuild` does here
    rebuilds_alone: list[Rebuilt]  # in one process
    catching_up: LagRun
    lag: LagRun

    @property
    def rebuilt(self) -> list[float]:
        return [r.rate for r in self.rebuilds]

    @property
    def rebuilt_alone(self) -> list[float]:
        return [r.rate for r in self.rebuilds_alone]

    @property
    def ratio(self) -> float:
        """Rebuild rate over raw read rate, the median of the paired repetitions."""
        return statistics.median(r / w for r, w in zip(self.rebuilt, self.raw, strict=True))

    @property
    def decoded_ratio(self) -> float:
        return statistics.median(r / d for r, d in zip(self.rebuilt, self.decoded, strict=True))

    @property
    def alone_ratio(self) -> float:
        return statistics.median(r / w for r, w in zip(self.rebuilt_alone, self.raw, strict=True))


@pytest.mark.timeout(3600)
def test_rebuilding_every_read_model_from_the_log_and_following_steady_writes(
    tmp_path: Path,
) -> None:
    url = postgres_url_or_skip()
    with fresh_runtime(fresh_env(url)) as runtime:
        seeded = Seeder(runtime.council, random.Random(2026)).run()
        assert seeded.events >= MIN_EVENTS
        raw, decoded, rebuilt, alone = [], [], [], []
        for _ in range(REBUILD_REPEATS):
            raw.append(read_rate(runtime.council, decode=False))
            decoded.append(read_rate(runtime.council, decode=True))
            rebuilt.append(rebuild_rate(runtime, jobs=JOBS))
            alone.append(rebuild_rate(runtime, jobs=1))
        with (tmp_path / "project.log").open("wb") as log:
            catching_up, lag = measure_lags(runtime, seeded, url, log)
    figures = Figures(seeded.events, seeded.seconds, raw, decoded, rebuilt, alone, catching_up, lag)
    report = _report(figures, url)
    print("\n" + report)
    write_section(SECTION, report)

    # A benchmark, not a timed test: the targets are reported (met or not), never asserted.
    for run in (catching_up, lag):
        assert run.commands >= WRITE_RATE * WRITE_SECONDS * 0.9, (
            "the writer could not keep its rate"
        )


def _report(f: Figures, url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = row[0] if row else "?"
    load = os.getloadavg()[0]
    lag, early = f.lag, f.catching_up
    cpus = os.cpu_count() or 1
    wall = statistics.median(r.seconds for r in f.rebuilds)
    python = statistics.median(r.python_cpu for r in f.rebuilds)
    python_alone = statistics.median(r.python_cpu for r in f.rebuilds_alone)
    share = python / (wall * cpus)
    p99 = lag.percentile(99)
    audit = (
        f"its first {early.audit_caught_up:.0f} s"
        if early.audit_caught_up is not None
        else "longer than the run"
    )
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{COMMAND}` (tests/benchmarks/test_projection_benchmark.py), run on"
            f" {date.today().isoformat()}: Python {platform.python_version()},"
            f" PostgreSQL {server}, {cpus} CPUs (load average {load:.1f} at the end;"
            " the machine is shared).",
            "",
            f"A fresh schema seeded with {f.events:,} events in {f.seed_seconds:.0f} s:"
            f" {RECOMMENDATIONS:,} recommendations (some updated, some given responsible bodies),"
            f" 76 organisations with 3 members each, {ROUNDS} monitoring rounds of"
            f" {ROUND_SIZE:,} recommendations with assessments (revised, opened for signature,"
            " co-signed in two waves, some co-signatures withdrawn, submitted or withdrawn),"
            " comments (some edited, retracted or hidden), and joint positions (revised, amended,"
            " endorsed or dissented, adopted with the recommendation's status, published, a few"
            " reopened); built with the domain's aggregates and saved 500 aggregates per `save()`."
            f" Rates are medians of {len(f.raw)} interleaved repetitions (lowest–highest in"
            " brackets); a ratio is the median of the ratios within each repetition.",
            "",
            "| measure | value | target |",
            "| --- | ---: | --- |",
            f"| raw log read, `select_notifications` in pages of {READ_PAGE:,} |"
            f" {_rate(f.raw)} events/s | |",
            f"| the same, decoding each event (`mapper.to_domain_event`) |"
            f" {_rate(f.decoded)} events/s | |",
            f"| full rebuild of every read model in {JOBS} processes (`council project"
            f" --rebuild`, `graphql_api.rebuild`) | {_rate(f.rebuilt)} events/s | |",
            f"| rebuild ÷ raw read | {f.ratio:.2f} | ≥ 0.25: {_met(f.ratio >= 0.25)} |",
            f"| rebuild ÷ read with decoding | {f.decoded_ratio:.2f} | |",
            f"| the same rebuild in one process (`--jobs 1`) |"
            f" {_rate(f.rebuilt_alone)} events/s | |",
            f"| one-process rebuild ÷ raw read | {f.alone_ratio:.2f} | |",
            f"| save-to-visible lag p50 / p95 / p99 | {lag.percentile(50):.1f} /"
            f" {lag.percentile(95):.1f} / {p99:.1f} ms | p99 < 50 ms: {_met(p99 < 50)} |",
            f"| save-to-visible lag, slowest | {max(lag.lags_ms):.1f} ms | |",
            f"| the same while the worker adds the seeded log to the audit tree, p50 / p95 / p99"
            f" | {early.percentile(50):.1f} / {early.percentile(95):.1f} /"
            f" {early.percentile(99):.1f} ms | |",
            "",
            "A rebuild empties the read models, then projects the log in batches of "
            f"{REBUILD_BATCH_SIZE:,} events of one transaction each, committed without "
            "waiting for the disk (`synchronous_commit = off`: a rebuild can be done "
            "again), with Python's cycle collector paused; each batch is read in "
            "PostgreSQL's binary format; handlers keep what they read back in memory "
            "and write their rows in bulk at the end of a batch (COPY, in its binary "
            f"format from {BINARY_ROWS:,} rows, and one UPDATE per table and set of "
            "columns); the read models' non-unique indexes (the two full-text GIN "
            "indexes among them) are dropped with the emptying and built at the end "
            "over full tables, two at a time, full-text first. On PostgreSQL `council "
            "project --rebuild` shares the read models between processes (one per "
            "CPU, up to 4, or `--jobs`), in groups of about the same work (each read "
            "model's `rebuild_cost`, measured on this seed), each group reading and "
            "decoding only the events its read models handle. The history, which has "
            "a line for every event, is shared out in two parts, each in the group of "
            "the read models that read the same events: the assessments' lines beside "
            "the assessments (with rounds and directory, the costliest group, which "
            "the command's own process rebuilds while the other process starts), the "
            "other lines beside the catalogue, comments, joint positions and reports; "
            "each part learns from a few of the other's events what its lines name. "
            "Between them the two processes read little more than the log once. With "
            f"{JOBS} processes on {cpus} CPUs a rebuild took a median of {wall:.1f} s, "
            f"in which its Python processes used {python:.1f} CPU-seconds, {share:.0%} "
            f"of the CPUs' time ({python_alone:.1f} in one process; the second process "
            "adds its start and the events both groups read); the database server "
            "(reading the log, writing rows and WAL, building indexes, the full-text "
            "ones above all) used most of the rest: about 9 CPU-seconds, read from "
            "its processes during rebuilds of this seed on 2026-12-01. The rebuild is "
            "bound by CPU. Profiled that day, before the history was shared out, the "
            "process that rebuilt it whole, which ended last, spent about 40% of its "
            "time in the handlers (history's most of it), 27% decoding events, 17% "
            "reading the log and 14% writing rows. Rebuilt alone the same day, each "
            "read model took (seconds, reading only its own events): history 9.6, "
            "assessments 6.7, catalogue 4.2, comments 1.6, joint positions 1.1, "
            "rounds 0.4, reports 0.2, directory 0.2. The raw read is the library's "
            "`select_notifications`, whose rows come in PostgreSQL's text format (the "
            "events' bytes spelled out in hex); the rebuild's own reads, in the "
            "binary format, take half the Python time to read the same events. The "
            "ratio depends on the machine as well as on the code, as the raw read is "
            "mostly the database server's work and the rebuild mostly Python's: on "
            "2026-12-01 the code before the binary reads and the history's parts gave "
            "0.23 to 0.27 on one machine (raw read about 100,000 events/s) and 0.21 "
            "to 0.22 on another, where each read model took about 1.4 times as long "
            "to rebuild and whose raw read ranged from 56,000 to 105,000 events/s "
            "between repetitions of one run; on that second machine the two changes "
            "took the rebuild from 16,816 to 20,516 events/s (medians of this "
            "benchmark) and its Python processes from 15.3 to 12.5 CPU-seconds. The "
            "margin is small where the database server shares the CPUs. What brought "
            "the rebuild from 0.16 to this, in the order it was done: reading each "
            "batch without the window's end in the query (PostgreSQL, without "
            "statistics of a newly written log, planned the bounded query as a sort "
            "of the whole rest of the log, every batch), each group reading only its "
            "topics, a round's recommendations in bulk, each recurring id decoded "
            "once (decoding from 9.1 to 6.8 µs an event), one JSON encoder for column "
            "values, the paused cycle collector (about a tenth of the CPU time), the "
            "calling process rebuilding a group itself, two index builds at once, "
            "binary COPY, reading the log in binary and the history in two parts. "
            "Measured and left out: decoding with orjson (4.7 to 4.0 µs an event: not "
            "worth a dependency), a third process (slower: more of the log read "
            "twice), the C collation for id columns (no gain that stood out of the "
            "noise), reading the next page in a thread while a batch is applied, and "
            "batches of 60,000 events. Earlier, before batching (one transaction per "
            "projection and batch of 1,000 events, one statement per row, every read "
            "model reading the log on its own), the same seed was rebuilt at 396 "
            "events/s (0.004 of a raw read).",
            "",
            f"Lag: two runs of {lag.seconds:.0f} s, each with a `council project` of its own,"
            f" {WRITE_RATE:.0f} commands a second (co-signatures and comments alternately,"
            f" through `Council`'s commands; {lag.commands:,} in the second run); the worker is"
            " woken by NOTIFY, a poller reads the lowest tracking position every"
            f" {POLL_SECONDS * 1000:.0f} ms, and a command's lag is the time from its return to"
            " the first poll that shows every read model at or past its log position. The"
            " target is measured in the second run, in steady work: the audit tree already holds"
            " the log. In the first run the worker's audit keeper is also adding the seeded log"
            f" to the audit tree, {f.events:,} events, which took {audit}: its inserts share the"
            " worker's process and the machine's 2 CPUs with the read models, and the lag"
            " while it lasts is the last row of the table. Until this benchmark made two runs,"
            " it measured that first run only: at load averages from 1.2 to 3, its p99 was"
            " 61 to 62 ms; with the audit tree caught up beforehand the same code gave a p99"
            " of 6 to 9 ms.",
            "",
        ]
    )


def _rate(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def _met(met: bool) -> str:
    return "met" if met else "**not met**"
