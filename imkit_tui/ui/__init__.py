"""The Textual app (the IMKit equivalent): screens, widgets and bubbles.

Talks to the client core only through its public API and events; never imports the
server.
"""
