"""Pieces every localcloud service shares: the clock, JSON logs, the threaded HTTP server."""
