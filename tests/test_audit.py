"""Auditors' trust: any alteration of the stored log is found, proofs verify, erasure keeps them."""

from __future__ import annotations

import base64
import json
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import merkle
from graphql_api.audit_cli import check_bundle
from graphql_api.runtime import Runtime
from graphql_api.settings import Settings
from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.verify import verify
from tests.scenario import build_world, play_round

COUNCIL = str(Path(sys.executable).parent / "council")
NOW = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)


SECRETARIAT_KEY = Ed25519PrivateKey.generate()


def _checkpointed(runtime: Runtime) -> tuple[Ed25519PrivateKey, str]:
    key = SECRETARIAT_KEY
    service.add_trusted_key(runtime.audit, "secretariat", key.public_key(), NOW)
    note = service.make_checkpoint(
        runtime.audit, origin="Serbia NMRF (test)", signer="secretariat", key=key, now=NOW
    )
    return key, note


def test_the_untouched_log_verifies_with_its_signed_checkpoints(runtime: Runtime) -> None:
    play_round(build_world(runtime.council))
    _, note = _checkpointed(runtime)
    report = verify(runtime.audit, runtime.council.recorder, service.trusted_keys(runtime.audit))
    assert report.ok, report.problems
    assert report.events_checked == runtime.council.log_position()
    assert report.checkpoints_checked == 1
    checkpoint, signatures = notes.parse(note)
    assert checkpoint.size == runtime.council.log_position()
    assert [s.name for s in signatures] == ["secretariat"]


def test_every_event_has_an_inclusion_proof_and_later_checkpoints_only_append(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    _, first = _checkpointed(runtime)
    play_round(world)
    _, second = _checkpointed(runtime)
    old, _ = notes.parse(first)
    new, _ = notes.parse(second)
    for position in range(1, runtime.council.log_position() + 1):
        proof = service.inclusion_proof(runtime.audit, position, new.size)
        assert merkle.verify_inclusion(
            proof.leaf_hash, proof.leaf_index, new.size, proof.path, new.root
        )
        assert not merkle.verify_inclusion(
            proof.leaf_hash, proof.leaf_index, new.size, proof.path, old.root
        )
    consistency = service.consistency_proof(runtime.audit, old.size, new.size)
    assert merkle.verify_consistency(old.size, new.size, old.root, new.root, consistency.path)


def test_another_organisation_can_co_sign_a_checkpoint(runtime: Runtime) -> None:
    play_round(build_world(runtime.council))
    key, note = _checkpointed(runtime)
    ombudsman = Ed25519PrivateKey.generate()
    size = notes.parse(note)[0].size
    cosigned = service.cosign(runtime.audit, size, "ombudsman", ombudsman)
    keys = {"secretariat": key.public_key(), "ombudsman": ombudsman.public_key()}
    assert sorted(notes.valid_signers(cosigned, keys)) == ["ombudsman", "secretariat"]
    forged = cosigned.replace(f"size {size}", f"size {size + 1}")
    with pytest.raises(notes.CheckpointError):
        notes.valid_signers(forged.replace("log-position", "log-positio"), keys)
    assert notes.valid_signers(forged, keys) == []


ALTERATIONS = ("byte", "topic", "version", "delete", "swap", "insert")


def _alter(path: Path, kind: str, rng: random.Random) -> int:
    """Alter a copy of the event store; returns the first log position that should be named."""
    db = sqlite3.connect(path)
    rows = db.execute("SELECT rowid, topic, state FROM stored_events ORDER BY rowid").fetchall()
    rowid, topic, state = rows[rng.randrange(len(rows))]
    if kind == "byte":
        at = rng.randrange(len(state))
        changed = bytearray(state)
        changed[at] ^= 1 << rng.randrange(8)
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(changed), rowid))
        bad = rowid
    elif kind == "topic":
        db.execute("UPDATE stored_events SET topic = ? WHERE rowid = ?", (topic + " ", rowid))
        bad = rowid
    elif kind == "version":
        db.execute(
            "UPDATE stored_events SET originator_version = originator_version + 1000"
            " WHERE rowid = ?",
            (rowid,),
        )
        bad = rowid
    elif kind == "delete":
        db.execute("DELETE FROM stored_events WHERE rowid = ?", (rowid,))
        bad = rowid
    elif kind == "swap":
        other = rows[(rows.index((rowid, topic, state)) + 1) % len(rows)]
        first, second = sorted([rowid, other[0]])
        a = db.execute("SELECT * FROM stored_events WHERE rowid = ?", (first,)).fetchone()
        b = db.execute("SELECT * FROM stored_events WHERE rowid = ?", (second,)).fetchone()
        db.execute("DELETE FROM stored_events WHERE rowid IN (?, ?)", (first, second))
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic,"
            " state) VALUES (?, ?, ?, ?, ?)",
            (first, *b),
        )
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic,"
            " state) VALUES (?, ?, ?, ?, ?)",
            (second, *a),
        )
        bad = first
    else:
        # Make room in the middle (every later event moves up one place), then insert.
        for (later,) in db.execute(
            "SELECT rowid FROM stored_events WHERE rowid >= ? ORDER BY rowid DESC", (rowid,)
        ).fetchall():
            db.execute("UPDATE stored_events SET rowid = rowid + 1 WHERE rowid = ?", (later,))
        db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
            " VALUES (?, ?, 1, ?, ?)",
            (rowid, "00000000-0000-0000-0000-00000000abcd", topic, state),
        )
        bad = rowid
    db.commit()
    db.close()
    return bad


@pytest.mark.parametrize("backend", ["sqlite"])
def test_any_alteration_of_a_copy_of_the_log_is_found_and_its_position_named(
    runtime: Runtime, tmp_path: Path
) -> None:
    play_round(build_world(runtime.council))
    _checkpointed(runtime)
    keys = service.trusted_keys(runtime.audit)
    source = runtime.settings.database.path
    assert source is not None
    rng = random.Random(9162)
    for attempt in range(36):
        kind = ALTERATIONS[attempt % len(ALTERATIONS)]
        copy = tmp_path / f"copy-{attempt}.db"
        with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
            live.backup(target)
        expected = _alter(copy, kind, rng)
        copied = Runtime(Settings.from_env({"COUNCIL_DATABASE_URL": f"sqlite:///{copy}"}))
        try:
            report = verify(copied.audit, copied.council.recorder, keys)
        finally:
            copied.close()
        assert not report.ok, f"{kind} alteration was not detected"
        assert report.first_bad_position == expected, (kind, report.problems)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_council_audit_verify_names_the_first_bad_position_and_fails(
    runtime: Runtime, tmp_path: Path
) -> None:
    play_round(build_world(runtime.council))
    env = {"COUNCIL_DATABASE_URL": runtime.settings.database_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [COUNCIL, "audit", "checkpoint"], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("council-ledger checkpoint v1\n")
    ok = subprocess.run([COUNCIL, "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    path = runtime.settings.database.path
    assert path is not None
    with sqlite3.connect(path) as db:
        db.execute("UPDATE stored_events SET state = state || x'20' WHERE rowid = 7")
    bad = subprocess.run([COUNCIL, "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "first bad log position: 7" in bad.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_proof_bundle_verifies_offline_and_a_forged_one_does_not(
    runtime: Runtime, tmp_path: Path
) -> None:
    play_round(build_world(runtime.council))
    env = {"COUNCIL_DATABASE_URL": runtime.settings.database_url, "PATH": "/usr/bin:/bin"}
    subprocess.run([COUNCIL, "audit", "checkpoint"], env=env, check=True, capture_output=True)
    pem = subprocess.run(
        [COUNCIL, "audit", "public-key"], env=env, check=True, capture_output=True
    ).stdout
    (tmp_path / "council.pem").write_bytes(pem)
    bundle = subprocess.run(
        [COUNCIL, "audit", "prove", "--log-position", "12"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (tmp_path / "proof.json").write_text(bundle)
    offline = {"PATH": "/usr/bin:/bin", "COUNCIL_DATABASE_URL": "sqlite:////nonexistent/x.db"}
    result = subprocess.run(
        [
            COUNCIL,
            "audit",
            "verify-proof",
            str(tmp_path / "proof.json"),
            "--public-key",
            f"secretariat={tmp_path / 'council.pem'}",
        ],
        env=offline,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    forged = json.loads(bundle)
    data = bytearray(base64.b64decode(forged["leaf_data"]))
    data[-2] ^= 1
    forged["leaf_data"] = base64.b64encode(bytes(data)).decode()
    keys = {"secretariat": notes.load_public_key(pem)}
    assert check_bundle(json.loads(bundle), keys) == []
    assert check_bundle(forged, keys) == ["the event is not included in the checkpointed tree"]


def test_after_erasure_the_database_holds_no_name_or_email_and_still_verifies(
    runtime: Runtime,
) -> None:
    world = build_world(runtime.council)
    play_round(world)
    _checkpointed(runtime)
    member = world.cso_b.member_id
    runtime.council.erase_personal_data(
        world.secretariat, member, expected_revision=1, reason="Request of the person"
    )
    runtime.runner.catch_up()
    runtime.audit.catch_up()
    _checkpointed(runtime)
    dump = _dump(runtime)
    assert b"Member of Lawyers' Committee" not in dump
    assert b"cso_b@example.org" not in dump
    assert b"cso_a@example.org" not in dump  # sealed for everyone, erased or not
    report = verify(runtime.audit, runtime.council.recorder, service.trusted_keys(runtime.audit))
    assert report.ok, report.problems
    assert report.checkpoints_checked == 2


def _dump(runtime: Runtime) -> bytes:
    if runtime.settings.embedded:
        path = runtime.settings.database.path
        assert path is not None
        return b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
    url = runtime.settings.database
    result = subprocess.run(
        [
            "pg_dump",
            "-h",
            url.host,
            "-p",
            str(url.port),
            "-U",
            url.user or "postgres",
            "-n",
            url.schema,
            "-n",
            url.read_schema,
            url.dbname,
        ],
        capture_output=True,
        check=True,
    )
    return result.stdout
