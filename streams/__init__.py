"""WebSocket streaming of market data and account events."""
