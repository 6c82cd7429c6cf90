"""`bin/run`'s access log leaves out the built-in sandboxes' requests (hundreds per sync), not ours."""

import logging

from config.logging import QuietPathsFilter, gunicorn_logconfig


class Atoms(dict):
    """gunicorn's access atoms: a dict that answers "-" for unknown keys."""

    def __missing__(self, key):
        return "-"


def access_record(path: str) -> logging.LogRecord:
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '"%(r)s" %(s)s', (), None)
    record.args = Atoms(r=f"GET {path} HTTP/1.1", s="200", U=path)
    return record


def test_sandbox_requests_are_left_out_and_the_rest_kept():
    quiet = QuietPathsFilter()

    assert quiet.filter(access_record("/sandbox/qstomizer/v3/orders")) is False
    assert quiet.filter(access_record("/admin/orders/syncrun/")) is True
    assert quiet.filter(logging.LogRecord("x", logging.INFO, __file__, 1, "no atoms", (), None)) is True
    assert "quiet_paths" in gunicorn_logconfig()["loggers"]["gunicorn.access"]["filters"]
