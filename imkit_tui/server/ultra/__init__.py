"""Ultra groups on the server: groups without a member limit, their channels, read
diffusion, notification levels, edits and deletion by time (issue 18).

One concern per module: the rules (`levels`, `rules`) decide without I/O; `config` holds
the limits; `store` keeps groups, channels, members and voices; `counts` reads a member's
unread and mention counts; `online` knows which members are connected. The frame
handlers are in server/handlers/ultra_*.py, the Server API in server/api/ultra_routes.py.
"""
