"""Log records carry the request id and tenant id of the context they were emitted in."""

import logging

from core import tenancy
from core.request_context import get_request_id


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id() or "-"
        if not hasattr(record, "tenant_id"):
            record.tenant_id = tenancy.get_current_tenant_id() or "-"
        return True
