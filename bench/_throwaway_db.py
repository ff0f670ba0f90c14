"""Shared by the bench scripts: Django set up against a throwaway database (created, migrated, dropped)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(test_db_name: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DATABASE_TEST_NAME"] = test_db_name
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_database(*, keep: bool = False) -> Iterator[str]:
    """Create and migrate `DATABASE_TEST_NAME` (PostgreSQL) or an in-memory SQLite database; drop it afterwards.
    With `keep`, an existing database of that name is reused (migrated forward) and left in place."""
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keep)
