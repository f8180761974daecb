"""Long-running operations (backtests, sweeps, any job): status, progress, heartbeat, cancel."""
