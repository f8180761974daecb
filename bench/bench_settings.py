"""The benchmark's settings: the product's, plus a bare JSON view and a per-request query count.

Only `bench/bench_trading.py` loads this module (bench/ on PYTHONPATH); the product never does.
"""

from trading_api.settings import *  # noqa: F403
from trading_api.settings import MIDDLEWARE

ROOT_URLCONF = "bench_urls"
MIDDLEWARE = ["bench_urls.QueryCountMiddleware", *MIDDLEWARE]
