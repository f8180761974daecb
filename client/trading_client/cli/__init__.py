"""The `trading` command line (see `trading --help` and client/README.md)."""
