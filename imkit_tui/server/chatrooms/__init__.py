"""Chatrooms: live rooms whose messages reach only the members online.

One concern per module. The decisions are sans-I/O and take the time as an argument
(milliseconds), so tests drive them with a fake clock: `budget.py` (which sends a busy
room accepts, by priority), `auto_exit.py` (when members who went offline leave),
`expiry.py` (mutes and bans that end by themselves), `attributes.py` (the KV rules),
`rooms.py` (a room's members and state) and `policy.py` (whitelists, low-priority
names, keep-alive). `service.py` composes them into the chatroom service; `acts.py`
names every change of it, which the frame handlers and the Server API make through
`live.py` (at once, or with several nodes through the chatroom log, pg/act_log.py;
`replica_state.py` is a whole copy for the log's snapshots); `history_store.py` keeps
the optional cloud history.
"""
