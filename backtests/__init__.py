"""Strategies, the backtest engine and long-running operations."""
