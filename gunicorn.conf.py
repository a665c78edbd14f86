"""The production web server's settings: ``.venv/bin/gunicorn shapeshop_site.wsgi`` run in
this folder reads them. Three environment variables tune it; everything else about the site
comes from the settings' own variables (DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, ...).

* ``BIND``: where to listen (default ``127.0.0.1:8000``; a proxy in front terminates HTTPS
  and serves ``STATIC_ROOT`` at ``/static/``);
* ``WEB_WORKERS``: processes (default 3). Web processes never import TensorFlow, so each
  stays small; training runs in the task workers (``manage.py qcluster``);
* ``WEB_THREADS``: threads per process (default 4): pages poll for progress twice a second,
  many short requests that threads serve well. Each thread keeps one database connection.
"""

from __future__ import annotations

import os


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, not {value}")
    return value


wsgi_app = "shapeshop_site.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _whole_number("WEB_WORKERS", 3)
threads = _whole_number("WEB_THREADS", 4)
worker_class = "gthread"
# A request that takes longer than this is a bug: training never runs in a web process.
timeout = 30
graceful_timeout = 15
# Fresh processes now and then, staggered, so that no slow leak can build up.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No runtime control socket: it would need a writable home or runtime folder, and several
# servers on one machine would contend for its default path.
control_socket_disable = True
