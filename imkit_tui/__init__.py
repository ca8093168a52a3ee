"""imkit: a terminal chat client with a reference IM server."""

__version__ = "0.1.0"
