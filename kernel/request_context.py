"""Request id: accepted or generated per request, echoed in X-Request-ID, put on every log line."""

import contextvars
import logging
import re
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_get() -> str:
    """Return the current request id, or "-" outside a request."""
    return request_id_var.get()


def request_id_for(incoming: str | None) -> str:
    """Return the client's request id when it is safe to echo, else a new one."""
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIDMiddleware:
    """Sets the request id for the request's duration and adds the X-Request-ID header."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _begin(self, request):
        request.request_id = request_id_for(request.headers.get("X-Request-ID"))
        return request_id_var.set(request.request_id)

    def _end(self, request, response, token):
        response["X-Request-ID"] = request.request_id
        request_id_var.reset(token)
        return response

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        token = self._begin(request)
        return self._end(request, self.get_response(request), token)

    async def __acall__(self, request):
        token = self._begin(request)
        return self._end(request, await self.get_response(request), token)


class RequestIDLogFilter(logging.Filter):
    """Adds `request_id` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
