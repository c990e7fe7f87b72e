from lianfang.common.db.migrate import run_alembic_env
from lianfang.gateway.models import AccountsBase

run_alembic_env(AccountsBase.metadata)
