"""The error of a store or bus that cannot be used (a module of its own: the stores and
the bus raise it, the command line reports it)."""

from __future__ import annotations


class ServiceUnusable(RuntimeError):
    """The store or the bus the config names cannot be used (unreachable, or a schema
    older than this version); the message says which and what to do."""


class NotPorted(ServiceUnusable):
    """A part of the store that the configured store does not keep yet (ultra groups on
    PostgreSQL); a request that needs it is answered with this message."""
