"""The database option: which database every call of a client addresses.

The server reads the `impossibledb-database` request header (gRPC metadata
over gRPC); without it, calls use its database `default`.
"""

from __future__ import annotations

import re

from .errors import ImpossibleDBError

__all__ = ["DATABASE_HEADER", "database_metadata", "is_missing_database"]

DATABASE_HEADER = "impossibledb-database"
"""The request header (gRPC metadata key) that names the database."""

_DATABASE_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
"""The server's grammar of database ids: 1 to 63 characters, a lowercase letter, then lowercase letters, digits or '-'."""


def database_metadata(database: str | None) -> dict[str, str]:
    """The header that selects `database`; {} for None. Raises ValueError for an id outside the grammar."""
    if database is None:
        return {}
    if not _DATABASE_ID.fullmatch(database):
        raise ValueError(f"database {database!r} is not a database id: 1 to 63 characters, a lowercase letter, then lowercase letters, digits or '-'")
    return {DATABASE_HEADER: database}


def is_missing_database(error: ImpossibleDBError) -> bool:
    """Whether a NotFound is about the database rather than a document: the contract says its message starts "database "."""
    return error.message.startswith("database ")
