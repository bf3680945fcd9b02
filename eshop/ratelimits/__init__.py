"""Rate limits and attempt counters kept where every process sees them.

``storage.py`` adds the ``database://`` storage scheme to the ``limits`` library, the
default ``RATELIMIT_STORAGE_URI``: the counts live in the shop's own database, shared
by every gunicorn worker and host and kept across restarts, with no service to run
(``redis://…`` works too). The app factory imports it: importing it registers the
scheme. The counting itself is ``eshop.rate_limiter``.
"""
