from lianfang.common.db.migrate import run_alembic_env
from lianfang.registry.models import RegistryBase

run_alembic_env(RegistryBase.metadata)
