"""logsetup: the server's log lines, in the incident's format.

Every line is ``<ISO-8601 UTC time with microseconds>Z <LEVEL> <text>``, the
format of the incident's excerpts (Python logging's level names), written to
stderr and, with ``--log-file``, appended to that file.  Each record is one
line whatever a client sent: control characters, backslashes and line
separators are escaped, so a request id cannot forge a line.
"""

import datetime
import logging
import sys

LOGGER_NAME = "chat"

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_line(text):
    """Returns text with every character that could break a log line escaped."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append("\\x%02x" % code)
        elif ch in "\u2028\u2029" or not ch.isprintable() and ch != " ":
            out.append("\\u%04x" % code if code <= 0xFFFF else "\\U%08x" % code)
        else:
            out.append(ch)
    return "".join(out)


class IncidentFormatter(logging.Formatter):
    """``2025-09-10T09:58:04.226956Z ERROR text``: one line per record."""

    def format(self, record):
        when = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        text = record.getMessage()
        if record.exc_info:
            text += " | " + self.formatException(record.exc_info)
        return "%s %s %s" % (
            when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            record.levelname,
            escape_line(text),
        )


def setup_logging(level_name, log_file):
    """Configures the "chat" logger (and the websockets library's, which logs
    through it at WARNING, or DEBUG with --log-level debug).  Returns the
    "chat" logger.  Raises OSError when the log file cannot be opened."""
    level = logging.DEBUG if level_name == "debug" else logging.INFO
    formatter = IncidentFormatter()
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, mode="a", encoding="utf-8"))
    log = logging.getLogger(LOGGER_NAME)
    log.setLevel(level)
    log.propagate = False
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    # The library's own lines ("connection failed (401 ...)") are noise at
    # INFO; they stay available for debugging.
    logging.getLogger(LOGGER_NAME + ".websockets").setLevel(
        logging.DEBUG if level == logging.DEBUG else logging.WARNING)
    return log
