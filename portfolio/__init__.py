"""Balances, ledger, positions, round-trip trades, equity and performance."""
