"""Create the PostgreSQL database named in DATABASE_URL if it does not exist yet."""

import os
import sys
from urllib.parse import urlparse

import psycopg
from psycopg import sql


def main() -> int:
    url = urlparse(os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        return 0
    name = url.path.lstrip("/")
    admin_url = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
