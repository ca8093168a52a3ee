"""Customer service (conversation type 5): a configured account whose robot answers from
a FAQ and whose agents (imkit users with the agent role) take customers from a queue.

The decisions are sans-I/O: :mod:`faq` (the robot's best match), :mod:`desk` (sessions,
the queue, least-loaded assignment); :mod:`replica` runs the desk's events, at once or,
with several nodes, through the desk log; handlers/customer_service.py carries out their
effects on the server.
"""
