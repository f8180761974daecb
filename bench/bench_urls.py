"""The benchmark's URLs: the product's, plus `/bench/bare`, a bare Django JSON view (no auth)."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"status": "ok"})


class QueryCountMiddleware:
    """Answers with `X-Query-Count`: the SQL statements the request ran, middleware included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


urlpatterns = [path("bench/bare", bare), path("", include("trading_api.urls"))]
