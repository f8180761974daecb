"""Strategies, the backtest engine, sweeps and their API; jobs run as operations."""
