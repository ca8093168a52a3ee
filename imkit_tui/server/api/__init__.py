"""The Server API: an app's backend drives the server over signed HTTP, as it would
drive RongCloud's Server API (v1, the `.json` paths).

Loaded only on the server's path (`imkit serve`, `imkit admin`): nothing here is
imported by the app's start-up, and aiohttp comes with it. The decisions live in
sans-I/O modules (`signing`, `forms`, `errors`); `runner` holds the HTTP server,
and each `*_routes` module answers one group of paths on the running IMServer.
"""
