"""Risk configuration, pre-trade checks, drawdown, circuit breaker, overrides."""
