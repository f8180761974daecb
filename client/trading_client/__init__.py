"""Python client for the trading back-office REST API (sync and async).

    from trading_client import Client, HmacAuth

    client = Client("http://127.0.0.1:8000", auth=HmacAuth(key_id, secret))
    print(client.market.quote("AAPL").bid)

See client/README.md for authentication, retries, errors and the `trading` command line.
"""

from trading_client._version import __version__
from trading_client.auth import ApiKeyAuth, Auth, Ed25519Auth, HmacAuth, JWTAuth
from trading_client.client import AsyncClient, Client
from trading_client.errors import (
    APIError,
    ConfigurationError,
    ConnectError,
    NetworkError,
    RequestTimeoutError,
    ResponseFormatError,
    TradingError,
)
from trading_client.pagination import AsyncPaginator, Page, Paginator
from trading_client.retry import RetryPolicy
from trading_client.stream import Backoff, Stream, StreamError, StreamMessage, Subscription

__all__ = [
    "APIError",
    "ApiKeyAuth",
    "AsyncClient",
    "AsyncPaginator",
    "Auth",
    "Backoff",
    "Client",
    "ConfigurationError",
    "ConnectError",
    "Ed25519Auth",
    "HmacAuth",
    "JWTAuth",
    "NetworkError",
    "Page",
    "Paginator",
    "RequestTimeoutError",
    "ResponseFormatError",
    "RetryPolicy",
    "Stream",
    "StreamError",
    "StreamMessage",
    "Subscription",
    "TradingError",
    "__version__",
]
