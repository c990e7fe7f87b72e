from lianfang.common.db.base import UTCDateTime, new_metadata, utcnow
from lianfang.common.db.engine import Database, create_database
from lianfang.common.db.repository import Page, Repository, RowId, decode_cursor, encode_cursor, table_of
from lianfang.common.db.session import DbSession, after_commit, request_session, transaction

__all__ = [
    "Database",
    "DbSession",
    "Page",
    "Repository",
    "RowId",
    "UTCDateTime",
    "after_commit",
    "create_database",
    "decode_cursor",
    "encode_cursor",
    "new_metadata",
    "request_session",
    "table_of",
    "transaction",
    "utcnow",
]
