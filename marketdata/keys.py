"""Names shared by writers and readers: cache keys and channel-layer groups."""

# Channel-layer group per market channel and symbol, e.g. "md.quotes.AAPL". The channel names
# are those a WebSocket client subscribes to.
MARKET_CHANNELS = ("quotes", "trades", "candles", "orderbook")


def market_group(channel: str, symbol: str) -> str:
    """Return the channel-layer group of `channel` ("quotes", ...) for `symbol`."""
    return f"md.{channel}.{symbol}"


def quote_cache_key(symbol: str) -> str:
    return f"md:quote:{symbol}"


def book_cache_key(symbol: str) -> str:
    return f"md:book:{symbol}"
