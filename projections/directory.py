"""Organisations and members. Personal data stays sealed here; it is opened only for those entitled."""

from __future__ import annotations

from domain.member import Member
from domain.organisation import Organisation
from projections.base import Projection, handles, to_json, ts
from projections.db import Cursor


class DirectoryProjection(Projection):
    name = "directory"
    rebuild_cost = 0.15
    tables = ("organisations", "members")

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS organisations ("
            " id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
            " platform BOOLEAN NOT NULL, version INTEGER NOT NULL, registered_at TEXT NOT NULL,"
            " log_position BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS members ("
            " id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, roles TEXT NOT NULL,"
            " sealed_personal_data TEXT NOT NULL, active BOOLEAN NOT NULL, erased BOOLEAN NOT NULL,"
            " version INTEGER NOT NULL, registered_at TEXT NOT NULL, log_position BIGINT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS members_organisation ON members (organisation_id)",
        ]

    @handles(Organisation.Registered)
    def registered(self, cur: Cursor, event: Organisation.Registered, position: int) -> None:
        cur.execute(
            "INSERT INTO organisations (id, name, kind, platform, version, registered_at,"
            " log_position) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.name,
                event.kind.value,
                event.platform,
                event.originator_version,
                ts(event.timestamp),
                position,
            ),
        )

    @handles(Organisation.Renamed)
    def renamed(self, cur: Cursor, event: Organisation.Renamed, position: int) -> None:
        cur.execute(
            "UPDATE organisations SET name = ?, version = ?, log_position = ? WHERE id = ?",
            (event.name, event.originator_version, position, str(event.originator_id)),
        )

    @handles(Organisation.PlatformMembershipChanged)
    def platform(
        self, cur: Cursor, event: Organisation.PlatformMembershipChanged, position: int
    ) -> None:
        cur.execute(
            "UPDATE organisations SET platform = ?, version = ?, log_position = ? WHERE id = ?",
            (event.platform, event.originator_version, position, str(event.originator_id)),
        )

    @handles(Member.Registered)
    def member_registered(self, cur: Cursor, event: Member.Registered, position: int) -> None:
        cur.execute(
            "INSERT INTO members (id, organisation_id, roles, sealed_personal_data, active, erased,"
            " version, registered_at, log_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                str(event.organisation_id),
                to_json(sorted(r.value for r in event.roles)),
                event.sealed_personal_data,
                True,
                False,
                event.originator_version,
                ts(event.timestamp),
                position,
            ),
        )

    @handles(Member.RolesChanged)
    def roles_changed(self, cur: Cursor, event: Member.RolesChanged, position: int) -> None:
        cur.execute(
            "UPDATE members SET roles = ?, version = ?, log_position = ? WHERE id = ?",
            (
                to_json(sorted(r.value for r in event.roles)),
                event.originator_version,
                position,
                str(event.originator_id),
            ),
        )

    @handles(Member.Deactivated)
    def deactivated(self, cur: Cursor, event: Member.Deactivated, position: int) -> None:
        cur.execute(
            "UPDATE members SET active = ?, version = ?, log_position = ? WHERE id = ?",
            (False, event.originator_version, position, str(event.originator_id)),
        )

    @handles(Member.PersonalDataErased)
    def erased(self, cur: Cursor, event: Member.PersonalDataErased, position: int) -> None:
        # The sealed text is dropped from the read model too; the key is already gone.
        cur.execute(
            "UPDATE members SET active = ?, erased = ?, sealed_personal_data = ?, version = ?,"
            " log_position = ? WHERE id = ?",
            (False, True, "", event.originator_version, position, str(event.originator_id)),
        )
