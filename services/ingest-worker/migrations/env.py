from lianfang.common.contracts.records import RecordsBase
from lianfang.common.db.migrate import run_alembic_env

run_alembic_env(RecordsBase.metadata)
