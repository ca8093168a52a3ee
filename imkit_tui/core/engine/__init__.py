"""The client's decisions, sans I/O: frames and outcomes in, what to do next out.

Shaped as python-websockets shapes its protocol: the code here never waits, never
touches a socket or the store. It is told what arrived (a pushed record, a sync page,
an ack, an attempt's outcome, a frame from the server) and answers with what must
happen (records to store together, a gap to pull, a cursor to write once its page is
committed, a message to send or to send again under the same client id, the waiter an
answer belongs to). The asyncio side (core/inbound.py, core/catch_up.py,
core/outbox.py, core/connection.py) only moves bytes and runs the store's jobs.

- :mod:`.seqs` which seqs of a conversation are held (`SeqTracker`);
- :mod:`.gaps` what a burst of pushes or an ack needs (`PushRouter`, `gap_after_ack`);
- :mod:`.sync` the post-connect sync's pages and cursor (`SyncRound`);
- :mod:`.pages` which pull pages a catch-up asks for, and what a PullMany answer means
  (`first_spec`, `chunks`, `sort_pages`);
- :mod:`.ultra` which ultra group channels an UltraSync answer needs pulled
  (`channels_to_pull`);
- :mod:`.work` the inbound work queue, pushes held behind the sync (`WorkQueue`);
- :mod:`.outbox` the outbox's state machine (`OutboxMachine`);
- :mod:`.requests` request ids and where each server frame goes (`Requests`, `FrameRoute`);
- :mod:`.login` the Hello, and what the server's first frame means: `Ready` (the
  Welcome), `Refused` (terminal: a bad token, no common version, a blocked user; no
  retry) or `Retry` (after the backoff) (`hello`, `answer_login`);
- :mod:`.session` the front, shaped as python-websockets' `Protocol`: `ClientEngine`
  composes the login and the request table; `receive(bytes)` classifies each frame from
  the server, `events()` yields what it means (`Ready`/`Refused`/`Retry`, `Answer` for a
  waiter, `Pushed` for the inbound queue, `Refused` ending a running session),
  `frames_to_send()` and `request(frame, waiter)` give the bytes to write.
"""

from imkit_tui.core.engine.gaps import PushRouter, Route, gap_after_ack
from imkit_tui.core.engine.login import LoginOutcome, Ready, Refused, Retry, answer_login, hello
from imkit_tui.core.engine.outbox import LEASE_MS, OutboxMachine, Phase
from imkit_tui.core.engine.requests import FrameRoute, Requests, is_push
from imkit_tui.core.engine.seqs import SeqTracker
from imkit_tui.core.engine.session import Answer, ClientEngine, Pushed, Stage
from imkit_tui.core.engine.sync import CURSOR_KEY, SyncPage, SyncRound, Wanted
from imkit_tui.core.engine.ultra import channel_convs, channels_to_pull
from imkit_tui.core.engine.work import (
    Acked,
    Pushes,
    SyncAll,
    UltraFrame,
    UltraStates,
    UltraWork,
    Work,
    WorkQueue,
)

__all__ = [
    "CURSOR_KEY",
    "LEASE_MS",
    "Acked",
    "Answer",
    "ClientEngine",
    "FrameRoute",
    "LoginOutcome",
    "OutboxMachine",
    "Phase",
    "PushRouter",
    "Pushed",
    "Pushes",
    "Ready",
    "Refused",
    "Requests",
    "Retry",
    "Route",
    "SeqTracker",
    "Stage",
    "SyncAll",
    "SyncPage",
    "SyncRound",
    "UltraFrame",
    "UltraStates",
    "UltraWork",
    "Wanted",
    "Work",
    "WorkQueue",
    "answer_login",
    "channel_convs",
    "channels_to_pull",
    "gap_after_ack",
    "hello",
    "is_push",
]
