"""The key store for personal data: one AES-256-GCM key per person, destroyed on erasure."""

from __future__ import annotations

import base64
import json
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from projections.db import Database

DDL = (
    "CREATE TABLE IF NOT EXISTS personal_keys ("
    " person_id TEXT PRIMARY KEY,"
    " key_material TEXT NOT NULL)",
)


class KeyStoreVault:
    """Seals personal data with a key of its own per person; erasing deletes the key row."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def _key(self, person_id: UUID, *, create: bool) -> bytes | None:
        with self.database.transaction() as cur:
            cur.execute(
                "SELECT key_material FROM personal_keys WHERE person_id = ?", (str(person_id),)
            )
            row = cur.fetchone()
            if row is not None:
                return base64.b64decode(row[0])
            if not create:
                return None
            key = AESGCM.generate_key(bit_length=256)
            cur.execute(
                "INSERT INTO personal_keys (person_id, key_material) VALUES (?, ?)",
                (str(person_id), base64.b64encode(key).decode()),
            )
            return key

    def seal(self, person_id: UUID, data: dict[str, str]) -> str:
        key = self._key(person_id, create=True)
        assert key is not None
        nonce = os.urandom(12)
        plaintext = json.dumps(data, sort_keys=True).encode()
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, person_id.bytes)
        return base64.b64encode(nonce + ciphertext).decode()

    def unseal(self, person_id: UUID, sealed: str) -> dict[str, str] | None:
        key = self._key(person_id, create=False)
        if key is None:
            return None
        raw = base64.b64decode(sealed)
        plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], person_id.bytes)
        data: dict[str, str] = json.loads(plaintext)
        return data

    def erase(self, person_id: UUID) -> None:
        with self.database.transaction() as cur:
            cur.execute("DELETE FROM personal_keys WHERE person_id = ?", (str(person_id),))
