"""The customer-service desk, sans-I/O: each customer's session (robot, waiting, with a
person, ended), the queue, and which agent takes whom. Every event returns the effects
the server then carries out (:mod:`service`): signalling to send, robot replies, an
agent to seat in the conversation, a rating or a left message to keep.

A session goes ROBOT → QUEUED → HUMAN → ENDED (human first: straight to QUEUED; no agent
online: the customer is asked to leave a message and stays where they were). A queued
customer goes to the online agent serving the fewest customers (the configured order
breaks ties) while one has room under `max_per_agent`; an agent may also take the
queue's head, or a named customer, past that. The queue is first come, first served.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imkit_tui import messages
from imkit_tui.server.customer_service.faq import wants_human
from imkit_tui.server.customer_service.settings import HUMAN_FIRST, CustomerServiceSettings

ROBOT_STATUS, HUMAN_STATUS, QUEUED_STATUS = 1, 2, 3
"""`serviceStatus` of RC:CsUpdate: the robot answers, a person answers, waiting for one."""
NO_ANSWER = 'Sorry, I have no answer to that. Say "talk to a human" to reach a person.'
NOBODY_ONLINE = "Nobody can answer right now: leave a message and we will come back to you."
ENDED_TEXT = "The conversation has ended. Thank you!"


class Stage(enum.Enum):
    """Where a customer's session is."""

    ROBOT = "robot"
    QUEUED = "queued"
    HUMAN = "human"
    ENDED = "ended"


class DeskRefused(Exception):
    """An agent's request the desk refuses (not an agent, nobody waiting, not theirs)."""


@dataclass(slots=True)
class CsSession:
    """One customer's current session with the service."""

    customer: str
    sid: str
    stage: Stage
    agent: str = ""
    served_by: str = ""
    rating_due: bool = False


@dataclass(frozen=True, slots=True)
class Signal:
    """Send the signalling message `object_name` (`content`) to the customer."""

    customer: str
    object_name: str
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """Post `text` into the customer's conversation as the service (the robot)."""

    customer: str
    text: str


@dataclass(frozen=True, slots=True)
class Seat:
    """Make `agent` a member of the customer's conversation (they read its history)."""

    customer: str
    agent: str


@dataclass(frozen=True, slots=True)
class Rated:
    """Keep a rating of the session `sid` (1–5 stars and a comment)."""

    customer: str
    sid: str
    agent: str
    stars: int
    comment: str


@dataclass(frozen=True, slots=True)
class LeftMessage:
    """Keep a message the customer left for the agents."""

    customer: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class AgentsChanged:
    """The queue or the agents' customers changed: tell the online agents."""


Effect = Signal | Reply | Seat | Rated | LeftMessage | AgentsChanged


@dataclass(frozen=True, slots=True)
class AgentView:
    """What one agent sees: the queue (first come first) and their own customers."""

    waiting: tuple[str, ...]
    mine: tuple[str, ...]
    online: tuple[str, ...]


@dataclass(slots=True)
class Desk:
    """The sessions, the queue and the agents' loads; one method per event."""

    settings: CustomerServiceSettings
    new_sid: Callable[[], str]
    sessions: dict[str, CsSession] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)
    online: set[str] = field(default_factory=set)
    serving: dict[str, list[str]] = field(default_factory=dict)
    """Each agent's customers now, in the order they came (the loads, kept as they
    change: no event counts over every session)."""

    # ---------------------------------------------------------------- queries

    def is_agent(self, user_id: str) -> bool:
        """Whether `user_id` has the agent role."""
        return user_id in self.settings.agents

    def load(self, agent: str) -> int:
        """How many customers `agent` serves now."""
        return len(self.serving.get(agent, ()))

    def agent_of(self, customer: str) -> str:
        """The agent serving `customer` now ('' when none)."""
        session = self.sessions.get(customer)
        return session.agent if session and session.stage is Stage.HUMAN else ""

    def view(self, agent: str) -> AgentView:
        """What `agent` sees; DeskRefused when they are not an agent."""
        self._check_agent(agent)
        mine = tuple(self.serving.get(agent, ()))
        online = tuple(a for a in self.settings.agents if a in self.online)
        return AgentView(tuple(self.queue), mine, online)

    # ---------------------------------------------------------------- customer events

    def handshake(self, customer: str) -> list[Effect]:
        """RC:CsHs: open (or resume) the customer's session; answered by RC:CsHsR."""
        session = self.sessions.get(customer)
        resumed = session is not None and session.stage is not Stage.ENDED
        if session is None or session.stage is Stage.ENDED:
            session = CsSession(customer, self.new_sid(), Stage.ROBOT)
            self.sessions[customer] = session
        effects: list[Effect] = [
            Signal(
                customer,
                messages.CS_HANDSHAKE_RESPONSE,
                {
                    "uid": customer,
                    "sid": session.sid,
                    "pid": self.settings.account,
                    "code": 200,
                    "msg": "ok",
                    "data": {"name": self.settings.name, "mode": self.settings.mode},
                },
            )
        ]
        if resumed:
            return [*effects, self._update(session)]
        if self.settings.mode == HUMAN_FIRST:
            return [*effects, *self._to_human(session)]
        return [*effects, self._update(session), Reply(customer, self.settings.welcome)]

    def message(self, customer: str, text: str) -> list[Effect]:
        """A message the customer sent (its text, '' for media): the robot answers it
        while the session is the robot's; a person's session leaves it to the agent."""
        session = self.sessions.get(customer)
        effects: list[Effect] = []
        if session is None or session.stage is Stage.ENDED:
            effects = self.handshake(customer)
            session = self.sessions[customer]
        if session.stage is not Stage.ROBOT:
            return effects
        if wants_human(text):
            return [*effects, *self._to_human(session)]
        answer = self.settings.faq.answer(text) if text else None
        return [*effects, Reply(customer, answer or NO_ANSWER)]

    def change_mode(self, customer: str) -> list[Effect]:
        """RC:CSCha: the customer asks for a person (answered by RC:CsChaR)."""
        session = self.sessions.get(customer)
        effects: list[Effect] = []
        if session is None or session.stage is Stage.ENDED:
            effects = self.handshake(customer)
            session = self.sessions[customer]
        ok = bool(self.online)
        answer = Signal(
            customer,
            messages.CS_CHANGE_MODE_RESPONSE,
            {"status": 1 if ok else 0, "errorMsg": "" if ok else "no agent online"},
        )
        if session.stage is not Stage.ROBOT:
            return [*effects, answer]
        return [*effects, answer, *self._to_human(session)]

    def suspend(self, customer: str) -> list[Effect]:
        """RC:CsSp: the customer leaves; a served session may then be rated."""
        session = self.sessions.get(customer)
        if session is None or session.stage is Stage.ENDED:
            return []
        return self._end(session, "The customer left.")

    def evaluate(self, customer: str, stars: int, comment: str) -> list[Effect]:
        """RC:CsEva: the customer rates the session that just ended (once)."""
        session = self.sessions.get(customer)
        if session is None or not session.rating_due:
            raise DeskRefused("there is no ended session to rate")
        if not 1 <= stars <= 5:
            raise DeskRefused("a rating is 1 to 5 stars")
        session.rating_due = False
        del self.sessions[customer]  # rated: nothing of it is needed any more
        return [Rated(customer, session.sid, session.served_by, stars, comment[:1000])]

    def leave_message(self, customer: str, fields: dict[str, str]) -> list[Effect]:
        """RC:CsLM: the customer leaves a message for the agents."""
        if not any(v.strip() for v in fields.values()):
            raise DeskRefused("a left message needs some text")
        return [LeftMessage(customer, fields)]

    # ---------------------------------------------------------------- agent events

    def agent_online(self, agent: str) -> list[Effect]:
        """An agent connected: they may take waiting customers."""
        if not self.is_agent(agent) or agent in self.online:
            return []
        self.online.add(agent)
        return [*self._dispatch(), AgentsChanged()]

    def agent_offline(self, agent: str) -> list[Effect]:
        """An agent's last device left; their customers stay theirs until they end."""
        if agent not in self.online:
            return []
        self.online.discard(agent)
        return [AgentsChanged()]

    def take(self, agent: str, customer: str = "") -> list[Effect]:
        """The agent takes `customer` (default: the queue's head), whatever their load."""
        self._check_agent(agent)
        if not self.queue:
            raise DeskRefused("nobody is waiting")
        chosen = customer or self.queue[0]
        if chosen not in self.queue:
            raise DeskRefused(f"{chosen} is not waiting")
        return [*self._assign(self.sessions[chosen], agent), *self._dispatch(), AgentsChanged()]

    def end(self, agent: str, customer: str) -> list[Effect]:
        """The agent ends their session with `customer`; the customer is asked to rate."""
        self._check_agent(agent)
        session = self.sessions.get(customer)
        if session is None or session.stage is not Stage.HUMAN or session.agent != agent:
            raise DeskRefused(f"{customer} is not your customer")
        return self._end(session, ENDED_TEXT)

    # ---------------------------------------------------------------- decisions

    def _check_agent(self, user_id: str) -> None:
        if not self.is_agent(user_id):
            raise DeskRefused("you are not an agent of this customer service")

    def _to_human(self, session: CsSession) -> list[Effect]:
        if not self.online:
            return [
                Signal(
                    session.customer, messages.CS_PULL_LEAVE_MESSAGE, {"content": NOBODY_ONLINE}
                ),
                Reply(session.customer, NOBODY_ONLINE),
            ]
        session.stage = Stage.QUEUED
        self.queue.append(session.customer)
        return [self._update(session), *self._dispatch(), AgentsChanged()]

    def _dispatch(self) -> list[Effect]:
        effects: list[Effect] = []
        while self.queue:
            agent = self.least_loaded()
            if agent is None:
                break
            effects += self._assign(self.sessions[self.queue[0]], agent)
        return effects

    def least_loaded(self) -> str | None:
        """The online agent with room who serves the fewest customers (None: nobody)."""
        loads = [
            (self.load(a), i, a) for i, a in enumerate(self.settings.agents) if a in self.online
        ]
        free = [entry for entry in loads if entry[0] < self.settings.max_per_agent]
        return min(free)[2] if free else None

    def _assign(self, session: CsSession, agent: str) -> list[Effect]:
        self.queue.remove(session.customer)
        session.stage, session.agent, session.served_by = Stage.HUMAN, agent, agent
        self.serving.setdefault(agent, []).append(session.customer)
        return [Seat(session.customer, agent), self._update(session)]

    def _end(self, session: CsSession, text: str) -> list[Effect]:
        was = session.stage
        if was is Stage.QUEUED:
            self.queue.remove(session.customer)
        if was is Stage.HUMAN:
            self.serving[session.agent].remove(session.customer)
        session.stage, session.agent = Stage.ENDED, ""
        session.rating_due = was is Stage.HUMAN
        effects: list[Effect] = [
            Signal(session.customer, messages.CS_END, {"code": 0, "msg": text, "sid": session.sid})
        ]
        if session.rating_due:
            effects.append(
                Signal(session.customer, messages.CS_PULL_EVALUATION, {"msgId": session.sid})
            )
        else:  # nothing more to come of it: the desk keeps only sessions that matter
            del self.sessions[session.customer]
        return [*effects, *self._dispatch(), AgentsChanged()]

    def _update(self, session: CsSession) -> Signal:
        status = {
            Stage.ROBOT: ROBOT_STATUS,
            Stage.HUMAN: HUMAN_STATUS,
            Stage.QUEUED: QUEUED_STATUS,
        }.get(session.stage, ROBOT_STATUS)
        content: dict[str, Any] = {"serviceStatus": status, "sid": session.sid}
        if session.stage is Stage.HUMAN:
            content["agent"] = session.agent
        if session.stage is Stage.QUEUED:
            content["position"] = self.queue.index(session.customer) + 1
        return Signal(session.customer, messages.CS_UPDATE, content)
