"""Benchmark: a soak of the production processes on PostgreSQL.

Run with ``make benchmark PYTEST_ARGS="-k soak"``; ``COUNCIL_SOAK_SECONDS`` sets how long the
traffic runs (default 1800, half an hour). The driver (tests/soak/driver.py, which the short form
tests/soak/test_soak_short.py runs for 40 s in every test run) starts the processes of
deploy/compose.yaml against a fresh schema (two API processes, the projection worker's replicas)
and sends them steady mixed reads, writes and live subscriptions. The figures (errors and
conflicts, latency percentiles per minute, each process's resident memory over time and its
slope, events written, whether every subscriber saw every history item once) are printed and
written to the "Soak" section of docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests.benchmarks.results import write_section
from tests.conftest import postgres_url_or_skip
from tests.soak.driver import (
    INITIAL_ASSESSMENTS,
    WINDOW,
    SoakConfig,
    SoakResult,
    percentile,
    run_soak,
)

pytestmark = [pytest.mark.postgres, pytest.mark.benchmark]

SECTION = "## Soak"
COMMAND = 'make benchmark PYTEST_ARGS="-k soak"'
SECONDS = float(os.environ.get("COUNCIL_SOAK_SECONDS", "1800"))
WRITES_PER_SECOND = float(os.environ.get("COUNCIL_SOAK_WRITES_PER_SECOND", "4"))
READS_PER_SECOND = float(os.environ.get("COUNCIL_SOAK_READS_PER_SECOND", "8"))


@pytest.mark.timeout(int(SECONDS) + 1800)
def test_soak_of_two_apis_and_the_workers(tmp_path: Path) -> None:
    url = postgres_url_or_skip()
    load_before = os.getloadavg()[0]
    config = SoakConfig(
        seconds=SECONDS,
        writes_per_second=WRITES_PER_SECOND,
        reads_per_second=READS_PER_SECOND,
    )
    result = run_soak(tmp_path, config)
    print("\n" + result.summary())
    if dump := os.environ.get("COUNCIL_SOAK_RESULT_FILE"):  # the raw figures, for a closer look
        Path(dump).write_text(json.dumps(dataclasses.asdict(result), indent=1), encoding="utf-8")
    report = _report(result, url, load_before)
    print("\n" + report)
    write_section(SECTION, report)

    # Correctness, not speed: latency and memory are reported, never asserted.
    assert result.errors == [], result.errors[:20]
    assert all(result.subscribers_exact)
    assert result.replay_equal, "\n".join(result.replay_lines)


def _ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def _count(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in sorted(counts.items()))


def _report(result: SoakResult, url: str, load_before: float, load: float | None = None) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = row[0] if row else "?"
    load = os.getloadavg()[0] if load is None else load
    config = result.config
    minutes = result.seconds / 60
    full = [i for i in result.intervals if i.start + config.interval_seconds <= result.seconds + 1]
    read_p50 = [percentile(i.reads, 0.5) for i in full]
    write_p50 = [percentile(i.writes, 0.5) for i in full]
    writes = sum(result.writes.values())
    reads = sum(result.reads.values())
    exact = sum(result.subscribers_exact)
    lines = [
        SECTION,
        "",
        f"Command: `COUNCIL_SOAK_SECONDS={config.seconds:.0f} {COMMAND}`"
        " (tests/benchmarks/test_soak_benchmark.py; the driver is tests/soak/driver.py), run on"
        f" {date.today().isoformat()} for {minutes:.1f} minutes of traffic: Python"
        f" {platform.python_version()}, PostgreSQL {server}, {os.cpu_count()} CPUs (load average"
        f" {load_before:.1f} before, {load:.1f} at the end; the machine is shared, and the load"
        " generator runs on it too). The default run is 30 minutes (`COUNCIL_SOAK_SECONDS`);"
        " `tests/soak/test_soak_short.py` runs the same driver for 40 s in every test run and"
        " asserts the correctness figures only.",
        "",
        "The processes of deploy/compose.yaml, started with its arguments and the settings of"
        " deploy/council.env.example against a fresh schema: `council db init`, two API processes"
        " (`council serve`) and the worker's two replicas (`council project`, one active, one"
        " standby). The round has the scenario's organisations and"
        f" {config.catalogue_size:,} recommendations, {INITIAL_ASSESSMENTS} assessments open for signature at the"
        " start. Traffic, alternating between the two API processes:",
        "",
        f"- write steps at {config.writes_per_second:g}/s (a new assessment is two writes, its"
        " proposal and its opening) through GraphQL mutations, each naming the revision it has"
        " just read: one Platform CSO revises its assessments and proposes new"
        " ones, opening them for signature; two others co-sign or withdraw their co-signatures,"
        f" comment and edit their comments, on the latest {WINDOW} open assessments. A write that lost a"
        " race to another (a revision came in between its read and its mutation) answers"
        " `Conflict` and is counted apart from errors;",
        f"- reads at {config.reads_per_second:g}/s: the list of 50 assessments with"
        " organisations, co-signatures and comment counts; a recommendation search (as a CSO or"
        " the public); a page of 50 items of the round's history (as an auditor), plus the"
        " assessment each writer reads before it writes;",
        f"- {config.subscribers} websocket subscribers (graphql-transport-ws, two on each API"
        " process) to the round's `activity`, each closing and resuming with `since` every"
        f" {config.reconnect_seconds * 0.5:.0f}–{config.reconnect_seconds * 1.5:.0f} s;",
        f"- resident memory (VmRSS) of every process every {config.memory_every_seconds:.0f} s.",
        "",
        "| measure | value | target |",
        "| --- | ---: | --- |",
        f"| errors | {len(result.errors)} | 0 |",
        f"| writes | {writes:,} ({writes / result.seconds:.2f}/s): {_count(result.writes)} | |",
        f"| conflicts (lost races, not errors) | {result.conflicts:,}"
        f" ({result.conflicts / max(writes, 1):.1%} of writes) | |",
        f"| reads | {reads:,} ({reads / result.seconds:.2f}/s): {_count(result.reads)} | |",
        f"| events written | {result.events_written:,}"
        + (
            f" (the log's head moved {moved:,} positions: an insert that lost a race rolled back"
            " but used up its position)"
            if (moved := result.events_after - result.events_before) != result.events_written
            else ""
        )
        + " | |",
        f"| history items of the round | {result.history_items:,} | |",
        f"| subscribers that saw every item once, in order | {exact} of"
        f" {len(result.subscribers_exact)} ({sum(result.subscriber_connections):,} connections) | all |",
        f"| read models equal their rebuild at the end | {'yes' if result.replay_equal else 'no'}"
        " | yes |",
    ]
    if full:
        lines += [
            f"| read p50, median of the {len(full)} minutes (first → last minute) |"
            f" {_ms(statistics.median(read_p50))} ms ({_ms(read_p50[0])} → {_ms(read_p50[-1])})"
            " | |",
            f"| write p50, median of the minutes (first → last minute) |"
            f" {_ms(statistics.median(write_p50))} ms ({_ms(write_p50[0])} → {_ms(write_p50[-1])})"
            " | |",
            f"| last minute ÷ first minute, p50 of reads / of writes |"
            f" {read_p50[-1] / read_p50[0]:.2f} / {write_p50[-1] / write_p50[0]:.2f} | |",
        ]
    lines += [
        "",
        "Latency by minute of traffic (milliseconds, as the client measured each request):",
        "",
        "| minute | reads | p50 | p95 | p99 | writes | p50 | p95 | p99 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for interval in full:
        r, w = interval.reads, interval.writes
        lines.append(
            f"| {interval.start / 60 + 1:.0f} | {len(r):,} | {_ms(percentile(r, 0.5))} |"
            f" {_ms(percentile(r, 0.95))} | {_ms(percentile(r, 0.99))} | {len(w):,} |"
            f" {_ms(percentile(w, 0.5))} | {_ms(percentile(w, 0.95))} | {_ms(percentile(w, 0.99))} |"
        )
    lines += [
        "",
        "Resident memory; the slope is a least-squares fit over the second half of the run:",
        "",
        "| process | first MiB | last MiB | highest MiB | slope, MiB per 10 minutes | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, points in result.memory.items():
        first, last, slope = result.memory_figures(name)
        highest = max(value for _, value in points)
        lines.append(f"| {name} | {first:.1f} | {last:.1f} | {highest:.1f} | {slope:+.2f} | flat |")
    warm = 300.0
    grown = []
    for name, points in result.memory.items():
        at_warm = next((value for at, value in points if at >= warm), points[-1][1])
        grown.append(
            f"{name} {at_warm - points[0][1]:+.1f} MiB in the first {warm / 60:.0f} minutes,"
            f" {points[-1][1] - at_warm:+.1f} MiB from then to the end"
        )
    lines += [
        "",
        f"Memory growth: {'; '.join(grown)}. The first minutes are the API processes warming up"
        " (the response cache fills to its 256 entries, parsed queries and connection pools);"
        " the slope over the second half is what a longer run would extrapolate.",
    ]
    if result.errors:
        lines += ["", "Errors (the first 10):", ""]
        lines += [f"- `{error[:300]}`" for error in result.errors[:10]]
    return "\n".join(lines) + "\n"
