"""The audit log through the API: each event's leaf, the published checkpoint, inclusion proofs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain import merkle
from projections.audit import checkpoint as notes
from projections.audit import service
from projections.audit.log import event_leaf_hash
from tests.scenario import play_round
from tests.test_api_support import Api, api_fixture  # noqa: F401

KEY = Ed25519PrivateKey.generate()
EVENTS = """query E($after: Int!) { events(after: $after, first: 100) {
  logPosition originatorId originatorVersion topic state leafIndex hash } }"""
CHECKPOINT = """{ auditCheckpoint { origin treeSize rootHash logPosition time text
  signatures { name keyId verified } } }"""
PROOF = """query I($at: Int!, $size: Int) { inclusionProof(logPosition: $at, treeSize: $size) {
  logPosition leafIndex leafHash treeSize rootHash auditPath checkpoint { treeSize text } } }"""
CONSISTENCY = """query C($from: Int!, $to: Int) { consistencyProof(fromTreeSize: $from, toTreeSize: $to) {
  fromTreeSize toTreeSize fromRootHash toRootHash path
  fromCheckpoint { treeSize rootHash text signatures { name verified } }
  toCheckpoint { treeSize rootHash text signatures { name verified } } } }"""


def _checkpoint(api: Api, second: int = 0) -> str:
    now = datetime(2026, 5, 2, 12, 0, second, tzinfo=UTC)
    service.add_trusted_key(api.runtime.audit, "secretariat", KEY.public_key(), now)
    return service.make_checkpoint(
        api.runtime.audit, origin="Serbia NMRF (test)", signer="secretariat", key=KEY, now=now
    )


def _events(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while page := api.data(api.world.auditor, EVENTS, after=len(found))["events"]:
        found.extend(page)
    return found


def _error(body: dict[str, Any], field: str = "inclusionProof") -> tuple[str, str]:
    assert body["data"] == {field: None}
    error = body["errors"][0]
    return error["extensions"]["code"], error["message"]


def test_each_event_carries_its_leaf_hash_from_the_audit_log(api: Api) -> None:
    play_round(api.world)
    api.settle(api.log_position())
    if not api.settings.embedded:  # no one has taken the events into the tree yet
        assert {(e["leafIndex"], e["hash"]) for e in _events(api)} == {(None, None)}
        api.runtime.audit.catch_up()
    events = _events(api)
    stored = api.runtime.council.recorder.select_notifications(start=1, limit=1000)
    assert [e["logPosition"] for e in events] == [n.id for n in stored]
    assert [e["hash"] for e in events] == [event_leaf_hash(n).hex() for n in stored]
    assert [e["leafIndex"] for e in events] == list(range(len(stored)))
    for event in events:  # what the API gives is all an auditor needs to recompute the leaf
        head = (
            "council-ledger leaf v1\n{logPosition}\n{originatorId}\n{originatorVersion}\n{topic}\n"
        )
        leaf = merkle.leaf_hash(head.format(**event).encode() + event["state"].encode())
        assert leaf.hex() == event["hash"]


def test_every_event_is_proven_to_be_in_the_checkpoint_everyone_can_read(api: Api) -> None:
    play_round(api.world)
    api.settle(api.log_position())
    note = _checkpoint(api)
    published = api.data(None, CHECKPOINT)["auditCheckpoint"]
    parsed, _ = notes.parse(note)
    assert published["text"] == note
    assert (published["treeSize"], published["logPosition"]) == (parsed.size, parsed.log_position)
    assert published["rootHash"] == parsed.root.hex()
    assert published["origin"] == "Serbia NMRF (test)"
    assert published["signatures"] == [
        {
            "name": "secretariat",
            "keyId": notes.key_id("secretariat", KEY.public_key()),
            "verified": True,
        }
    ]
    root = bytes.fromhex(published["rootHash"])
    for event in _events(api):
        proof = api.data(api.world.auditor, PROOF, at=event["logPosition"])["inclusionProof"]
        assert proof["leafHash"] == event["hash"]
        assert proof["checkpoint"]["text"] == note
        assert merkle.verify_inclusion(
            bytes.fromhex(event["hash"]),
            proof["leafIndex"],
            published["treeSize"],
            [bytes.fromhex(h) for h in proof["auditPath"]],
            root,
        ), event["logPosition"]


def test_a_proof_names_the_checkpoint_asked_for_and_verifies_against_its_root(api: Api) -> None:
    first = notes.parse(_checkpoint(api))[0]
    play_round(api.world)
    api.settle(api.log_position())
    second = notes.parse(_checkpoint(api, second=1))[0]
    assert api.data(None, CHECKPOINT)["auditCheckpoint"]["treeSize"] == second.size
    for size, root in ((first.size, first.root), (second.size, second.root)):
        proof = api.data(api.world.secretariat, PROOF, at=3, size=size)["inclusionProof"]
        assert (proof["treeSize"], proof["rootHash"]) == (size, root.hex())
        path = [bytes.fromhex(h) for h in proof["auditPath"]]
        leaf = bytes.fromhex(proof["leafHash"])
        assert merkle.verify_inclusion(leaf, proof["leafIndex"], size, path, root)
    covering = api.data(api.world.auditor, PROOF, at=3)["inclusionProof"]
    assert covering["checkpoint"]["treeSize"] == first.size
    code, message = _error(api.post(api.world.auditor, PROOF, at=3, size=first.size + 1))
    assert (code, message) == ("NOT_FOUND", f"there is no checkpoint of tree size {first.size + 1}")


def test_before_a_checkpoint_covers_an_event_there_is_no_proof_of_it(api: Api) -> None:
    assert api.data(None, CHECKPOINT)["auditCheckpoint"] is None
    code, message = _error(api.post(api.world.auditor, PROOF, at=1))
    assert (code, message) == ("NOT_FOUND", "no checkpoint covers log position 1 yet")
    _checkpoint(api)
    api.open_round()  # a write after the checkpoint
    code, _ = _error(api.post(api.world.auditor, PROOF, at=api.log_position()))
    assert code == "NOT_FOUND"
    code, message = _error(api.post(api.world.auditor, PROOF, at=0))
    assert (code, message) == ("INVALID", "logPosition: is 1 or more; it is 0")


def test_only_auditors_and_the_secretariat_read_inclusion_proofs(api: Api) -> None:
    _checkpoint(api)
    world = api.world
    for viewer in (world.auditor, world.secretariat):
        assert api.data(viewer, PROOF, at=1)["inclusionProof"]["logPosition"] == 1
    for viewer in (None, world.cso_a, world.state_body):
        code, message = _error(api.post(viewer, PROOF, at=1))
        assert (code, message) == (
            "NOT_ALLOWED",
            "only auditors and the secretariat read inclusion proofs",
        )


def test_a_new_checkpoint_is_published_at_once_though_no_read_model_moved(api: Api) -> None:
    before = api.client.post("/graphql", json={"query": CHECKPOINT})
    assert before.json()["data"]["auditCheckpoint"] is None
    note = _checkpoint(api)
    after = api.client.post("/graphql", json={"query": CHECKPOINT})
    assert "X-Cache" not in after.headers
    assert after.json()["data"]["auditCheckpoint"]["text"] == note


def _consistent(proof: dict[str, Any]) -> bool:
    return merkle.verify_consistency(
        proof["fromTreeSize"],
        proof["toTreeSize"],
        bytes.fromhex(proof["fromRootHash"]),
        bytes.fromhex(proof["toRootHash"]),
        [bytes.fromhex(h) for h in proof["path"]],
    )


def test_a_consistency_proof_shows_the_latest_checkpoint_extends_an_earlier_one(api: Api) -> None:
    first_note = _checkpoint(api)
    first = notes.parse(first_note)[0]
    play_round(api.world)
    api.settle(api.log_position())
    second_note = _checkpoint(api, second=1)
    second = notes.parse(second_note)[0]
    assert first.size < second.size
    proof = api.data(api.world.auditor, CONSISTENCY, **{"from": first.size})["consistencyProof"]
    assert (proof["fromTreeSize"], proof["toTreeSize"]) == (first.size, second.size)
    assert (proof["fromRootHash"], proof["toRootHash"]) == (first.root.hex(), second.root.hex())
    assert proof["fromCheckpoint"]["text"] == first_note
    assert proof["toCheckpoint"]["text"] == second_note
    for checkpoint in (proof["fromCheckpoint"], proof["toCheckpoint"]):
        assert checkpoint["signatures"] == [{"name": "secretariat", "verified": True}]
    assert proof["path"]
    assert _consistent(proof)
    for at, node in enumerate(proof["path"]):  # any hash changed, and the proof fails
        changed = node[:-1] + ("1" if node[-1] == "0" else "0")
        assert not _consistent(
            dict(proof, path=[*proof["path"][:at], changed, *proof["path"][at + 1 :]])
        )
    assert not _consistent(dict(proof, toRootHash=proof["fromRootHash"]))

    # sizes no checkpoint was signed at: the roots come from the tree, the checkpoints are null
    middle = first.size + 1
    between = api.data(api.world.secretariat, CONSISTENCY, **{"from": 2, "to": middle})
    between = between["consistencyProof"]
    assert (between["fromTreeSize"], between["toTreeSize"]) == (2, middle)
    assert between["fromCheckpoint"] is None
    assert between["toCheckpoint"] is None
    assert _consistent(between)
    onward = api.data(api.world.auditor, CONSISTENCY, **{"from": middle, "to": second.size})
    assert onward["consistencyProof"]["toCheckpoint"]["text"] == second_note
    assert onward["consistencyProof"]["toRootHash"] == proof["toRootHash"]
    assert _consistent(onward["consistencyProof"])
    same = api.data(api.world.auditor, CONSISTENCY, **{"from": second.size})["consistencyProof"]
    assert same["path"] == []
    assert same["fromRootHash"] == same["toRootHash"]
    assert same["fromCheckpoint"]["text"] == same["toCheckpoint"]["text"] == second_note


def test_bad_tree_sizes_are_invalid_and_name_the_argument(api: Api) -> None:
    code, message = _error(
        api.post(api.world.auditor, CONSISTENCY, **{"from": 1}), "consistencyProof"
    )
    assert (code, message) == ("NOT_FOUND", "no checkpoint has been signed yet")
    size = notes.parse(_checkpoint(api))[0].size
    for sizes, field, reason in (
        ({"from": 0}, "fromTreeSize", "is 1 or more; it is 0"),
        ({"from": 1, "to": 0}, "toTreeSize", "is 1 or more; it is 0"),
        (
            {"from": 1, "to": size + 1},
            "toTreeSize",
            f"is at most the audit log's size, {size}; it is {size + 1}",
        ),
        (
            {"from": size + 1},
            "fromTreeSize",
            f"is at most the tree size proved to, {size}; it is {size + 1}",
        ),
        ({"from": 3, "to": 2}, "fromTreeSize", "is at most the tree size proved to, 2; it is 3"),
    ):
        body = api.post(api.world.auditor, CONSISTENCY, **sizes)
        assert _error(body, "consistencyProof") == ("INVALID", f"{field}: {reason}"), sizes
        assert body["errors"][0]["extensions"]["field"] == field


def test_only_auditors_and_the_secretariat_read_consistency_proofs(api: Api) -> None:
    _checkpoint(api)
    world = api.world
    for viewer in (world.auditor, world.secretariat):
        proof = api.data(viewer, CONSISTENCY, **{"from": 1})["consistencyProof"]
        assert proof["fromTreeSize"] == 1
    for outsider in (None, world.cso_a, world.state_body):
        code, message = _error(api.post(outsider, CONSISTENCY, **{"from": 1}), "consistencyProof")
        assert (code, message) == (
            "NOT_ALLOWED",
            "only auditors and the secretariat read consistency proofs",
        )


def test_a_consistency_proof_is_never_answered_from_the_cache(api: Api) -> None:
    first = notes.parse(_checkpoint(api))[0]
    headers = api.headers(api.world.auditor)
    body = {"query": CONSISTENCY, "variables": {"from": 1}}
    before = api.client.post("/graphql", json=body, headers=headers)
    assert before.json()["data"]["consistencyProof"]["toTreeSize"] == first.size
    api.open_round()
    second = notes.parse(_checkpoint(api, second=1))[0]
    after = api.client.post("/graphql", json=body, headers=headers)
    assert "X-Cache" not in after.headers
    assert after.json()["data"]["consistencyProof"]["toTreeSize"] == second.size > first.size
