"""OpenAPI links: which answer's id feeds which operation (clients and schemathesis's stateful
phase follow them from a created object to its reads, changes and deletion)."""

from typing import Any

_FIRST_ID = "$response.body#/results/0/id"
_FIRST_SYMBOL = "$response.body#/results/0/symbol"

# (method, path, status) of the producer -> [(consumer method, consumer path, {param: source})].
LINKS: dict[tuple[str, str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/orders", "201"): [
        ("get", "/api/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
        ("patch", "/api/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
        ("delete", "/api/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
        (
            "get",
            "/api/v1/orders/by-client-id/{client_order_id}",
            {"client_order_id": "$response.body#/client_order_id"},
        ),
    ],
    ("post", "/api/v1/api-keys/", "201"): [
        ("get", "/api/v1/api-keys/{id}/", {"id": "$response.body#/id"}),
        ("delete", "/api/v1/api-keys/{id}/", {"id": "$response.body#/id"}),
    ],
    ("post", "/api/v1/risk/overrides/", "201"): [
        ("get", "/api/v1/risk/overrides/{id}/", {"id": "$response.body#/id"}),
        ("post", "/api/v1/risk/overrides/{id}/approve/", {"id": "$response.body#/id"}),
        ("delete", "/api/v1/risk/overrides/{id}/", {"id": "$response.body#/id"}),
    ],
    ("post", "/api/v1/backtests", "202"): [
        ("get", "/api/v1/backtests/{backtest_id}", {"backtest_id": "$response.body#/backtest_id"}),
        (
            "get",
            "/api/v1/operations/{operation_id}",
            {"operation_id": "$response.body#/operation_id"},
        ),
        (
            "get",
            "/api/v1/operations/{operation_id}/metrics",
            {"operation_id": "$response.body#/operation_id"},
        ),
        (
            "delete",
            "/api/v1/operations/{operation_id}/cancel",
            {"operation_id": "$response.body#/operation_id"},
        ),
    ],
    ("post", "/api/v1/backtests/sweeps", "202"): [
        ("get", "/api/v1/backtests/sweeps/{sweep_id}", {"sweep_id": "$response.body#/sweep_id"}),
    ],
    ("delete", "/api/v1/positions/{symbol}", "201"): [
        ("get", "/api/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
    ],
    # A list's first item feeds its detail operations (never a key's revocation: the first key
    # listed may be the caller's own).
    ("get", "/api/v1/orders", "200"): [
        ("get", "/api/v1/orders/{order_id}", {"order_id": _FIRST_ID}),
        ("patch", "/api/v1/orders/{order_id}", {"order_id": _FIRST_ID}),
        ("delete", "/api/v1/orders/{order_id}", {"order_id": _FIRST_ID}),
    ],
    ("get", "/api/v1/operations", "200"): [
        ("get", "/api/v1/operations/{operation_id}", {"operation_id": _FIRST_ID}),
        ("get", "/api/v1/operations/{operation_id}/metrics", {"operation_id": _FIRST_ID}),
        ("post", "/api/v1/operations/{operation_id}/cancel", {"operation_id": _FIRST_ID}),
    ],
    ("get", "/api/v1/backtests", "200"): [
        ("get", "/api/v1/backtests/{backtest_id}", {"backtest_id": _FIRST_ID}),
    ],
    ("get", "/api/v1/risk/overrides/", "200"): [
        ("get", "/api/v1/risk/overrides/{id}/", {"id": _FIRST_ID}),
    ],
    ("get", "/api/v1/api-keys/", "200"): [
        ("get", "/api/v1/api-keys/{id}/", {"id": _FIRST_ID}),
    ],
    ("get", "/api/v1/positions", "200"): [
        ("get", "/api/v1/positions/{symbol}", {"symbol": _FIRST_SYMBOL}),
        ("delete", "/api/v1/positions/{symbol}", {"symbol": _FIRST_SYMBOL}),
    ],
    ("get", "/api/v1/instruments", "200"): [
        ("get", "/api/v1/instruments/{symbol}", {"symbol": _FIRST_SYMBOL}),
        ("get", "/api/v1/quotes/{symbol}", {"symbol": _FIRST_SYMBOL}),
        ("get", "/api/v1/candles/{symbol}", {"symbol": _FIRST_SYMBOL}),
        ("get", "/api/v1/orderbook/{symbol}", {"symbol": _FIRST_SYMBOL}),
    ],
    ("get", "/api/v1/strategies", "200"): [
        ("get", "/api/v1/strategies/{name}", {"name": "$response.body#/results/0/name"}),
    ],
}


def links_postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: add `LINKS` to the responses that exist."""
    paths = result.get("paths", {})
    for (method, path, status), targets in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_method, target_path, parameters in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None:
                continue
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": parameters,
            }
    return result
