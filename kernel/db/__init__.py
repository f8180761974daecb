"""Database helpers: the Decimal column, exact expressions on every backend, the SQLite backend."""
