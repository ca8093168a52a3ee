"""Customer-service frames: what an agent asks of the desk, and what the desk tells them.

A customer speaks to the service in the ordinary frames: SendMessage to ConvRef(5,
account) carries their messages (stored) and the service's signalling (not stored,
acked with seq 0): RC:CsHs opens the session, RC:CSCha asks for a person, RC:CsSp leaves,
RC:CsEva rates the ended session ({"source": 1–5 stars, "suggest": comment}), RC:CsLM
leaves a message ({"dataSet": {name: value}}). The service answers with pushes from the
account: RC:CsHsR, RC:CsChaR, RC:CsUpdate ({"serviceStatus": 1 robot, 2 person, 3
waiting; "agent"}), RC:CsEnd, RC:CsPullEva and RC:CsPLM; the robot's replies are stored
RC:TxtMsg. An agent sees each customer as ConvRef(5, customer) and replies with
SendMessage there.

CsAgentRequest is answered by a CsAgentState carrying its `id` in `re`, or by an
ErrorFrame (INVALID_PARAMETER: not an agent, nobody waiting, not your customer). A
CsAgentState with `re` 0 is a push to every online agent when the queue or the agents'
customers change.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from imkit_tui.protocol.frame_base import Frame

CsAgentOp = Literal["info", "view", "take", "end", "left"]
CS_AGENT_OPS: tuple[CsAgentOp, ...] = ("info", "view", "take", "end", "left")
"""What may be asked: anyone, which customer service the server has (`info`); an agent,
to see the desk, take a customer, end a session, read left messages."""


class CsAgentRequest(Frame, tag="cs_agent"):
    """`info` (anyone): the server's customer service and whether one is its agent; an
    agent's: `view` the desk, `take` `customer` (empty: the queue's head), `end` the
    session with `customer`, or list the messages customers `left`."""

    op: CsAgentOp
    customer: Annotated[str, msgspec.Meta(max_length=64)] = ""


class CsLeftMessage(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A message a customer left when nobody was online."""

    customer: str
    fields: dict[str, str]
    left_at: int


class CsAgentState(Frame, tag="cs_agent_state"):
    """The desk as an agent sees it: who waits (first come first), the agent's own
    customers, the agents online; `left` answers a `left` request (newest first).
    Answering `info`: the service's `account` ('' when the server has none), its `name`,
    and whether the asker is one of its `agent`s (the lists are then an agent's)."""

    account: str
    name: str = ""
    agent: bool = False
    waiting: list[str] = []
    mine: list[str] = []
    online: list[str] = []
    left: list[CsLeftMessage] = []


CS_CLIENT_FRAMES = (CsAgentRequest,)
CS_SERVER_FRAMES = (CsAgentState,)
