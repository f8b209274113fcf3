"""Column types whose DDL is the same in every process that creates the ahg_* tables.

Once Dagster is imported it makes every ``DateTime`` compile to ``DATETIME(6)`` on MySQL, so a
table created by ``heratio-doi init`` would differ from one created inside a Dagster process,
and MySQL 8 refuses ``DATETIME(6) DEFAULT CURRENT_TIMESTAMP``. Naming MySQL's own ``DATETIME``
keeps Heratio's column type (whole seconds) everywhere; other backends are unaffected.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

DateTime = sa.DateTime().with_variant(mysql.DATETIME(), "mysql", "mariadb")
