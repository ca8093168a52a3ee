"""Customer service (conversation type 5): a configured account whose robot answers from
a FAQ and whose agents (imkit users with the agent role) take customers from a queue.

The decisions are sans-I/O: :mod:`faq` (the robot's best match), :mod:`desk` (sessions,
the queue, least-loaded assignment); :mod:`service` carries them out on the server.
"""
