from lianfang.common.db.migrate import run_alembic_env
from lianfang.trace.models import TraceBase

run_alembic_env(TraceBase.metadata)
