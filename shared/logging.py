"""Structured logs (structlog): one JSON object per line, with the service and the trace.

    configure_logging(settings.service_name, settings.log_level)   # once, at start
    log = get_logger(__name__)
    log.info("leave approved", leave_id=leave.id)

Every line carries `service`, `level`, `timestamp` (UTC, ISO 8601), `logger`, and, when
a span is current, `trace_id` and `span_id` (hex, as in the trace backend), so a log line
leads to its trace. Lines of the standard library's loggers (grpc, sqlalchemy, alembic,
nats) go through the same renderer. On a terminal the lines are rendered for people.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import structlog
from opentelemetry import trace
from structlog.tracebacks import ExceptionDictTransformer

__all__ = ["add_trace_context", "configure_logging", "get_logger"]

_HANDLER_NAME = "zgov"


def add_trace_context(logger: Any, method: str, event: dict) -> dict:
    """structlog processor: the current OpenTelemetry span's ids."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event.setdefault("span_id", format(span_context.span_id, "016x"))
    return event


def _add_service(service: str):
    def add_service(logger: Any, method: str, event: dict) -> dict:
        event.setdefault("service", service)
        return event

    return add_service


def configure_logging(
    service: str, level: str = "INFO", *, json: bool | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Route structlog and standard-library logging to `stream` (stderr) as JSON lines.

    `json=None` picks JSON unless the stream is a terminal. Calling it again replaces the
    previous set-up (tests do). Returns the handler installed on the root logger.
    """
    stream = stream or sys.stderr
    if json is None:
        json = not (hasattr(stream, "isatty") and stream.isatty())
    before = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
        add_trace_context,
        structlog.processors.StackInfoRenderer(),
    ]
    if json:
        # ensure_ascii=False: Chinese names and titles stay readable in the log.
        renderer = [
            # Tracebacks without the frames' local variables: those hold tokens, and personal data such
            # as a petitioner's name and phone (A71, A80), which must never reach a log.
            structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    else:
        renderer = [
            structlog.dev.ConsoleRenderer(
                exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
            )
        ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *before,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a reconfiguration (tests, a changed level) reaches loggers made at import time.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=before,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def get_logger(name: str | None = None, **bound: Any) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name, **bound)
