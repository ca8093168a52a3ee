"""The customer-service desk as a replica (server/replica.py): with several nodes every
desk event is an act of the "desk" log (pg/act_log.py), decided by the sans-I/O desk
(desk.py) on a copy caught up with every earlier event of every node, so which agent
takes the next customer, the queue's places and the sessions agree on all nodes. The
node that ran an event first carries out its effects (once, for all nodes); the others
only change their copy. Alone (SQLite), an event runs at once.

Agents are online while any node has one of their devices (node_presence.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from imkit_tui.protocol import ErrorCode, ProtocolError
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.customer_service.desk import CsSession, Desk, DeskRefused, Effect, Stage
from imkit_tui.server.customer_service.settings import CustomerServiceSettings
from imkit_tui.server.node_presence import Presence
from imkit_tui.server.replica import Script, SharedLog
from imkit_tui.server.session import Session

log = logging.getLogger(__name__)


class DeskReplica:
    """The desk of this node, and how its events are run (at once, or through the log)."""

    def __init__(self, settings: CustomerServiceSettings, clock: Callable[[], int] = now_ms):
        self.clock = clock
        """The time in ms."""
        self.settings = settings
        self.log: SharedLog | None = None
        """The desk log shared with the other nodes (None: this node alone)."""
        self.presence = Presence()
        self._script: Script | None = None
        self._at = 0
        self.desk = Desk(settings, self._new_sid)
        """The sessions, the queue and the agents (read it; change it through :meth:`act`)."""
        self.on_effects: Callable[[list[Effect]], None] = lambda effects: None
        """Carries out effects no caller asked for (the server sets it)."""

    def _new_sid(self) -> str:
        if self._script is None:
            return new_uuid7()
        return self._script.uid(self._at)

    async def act(self, name: str, *args: Any) -> list[Effect]:
        """Run desk event `name` (see ACTS) with JSON-ready `args`; the effects to carry
        out. ProtocolError 1002 when the desk refuses it (nothing changed)."""
        if self.log is None:
            return _run(self, name, list(args))
        effects: list[Effect] = await self.log.run(name, list(args), None)
        return effects

    async def run(self, every_seconds: float = 1.0) -> None:
        """With a log: say this node is alive every `every_seconds`, until cancelled."""
        while self.log is not None:
            await asyncio.sleep(every_seconds)
            try:
                await self.log.tick()
            except Exception:
                log.exception("the desk log's tick failed")

    async def close(self) -> None:
        """Stop following the log (this node's agents are offline for the others)."""
        if self.log is not None:
            await self.log.close()

    async def caught_up(self) -> None:
        """With a log: every event any node committed so far is applied here."""
        if self.log is not None:
            await self.log.catch_up()

    async def presence_changed(self, user: str, online: bool) -> list[Effect]:
        """An agent's first device here connected (`online`), or their last one here left."""
        node = self.log.node if self.log is not None else ""
        return await self.act("online" if online else "offline", user, node)

    # ------------------------------------------------------------------ as a replica

    def apply(
        self, name: str, args: list[Any], at_ms: int, script: Script, skip: Session | None
    ) -> list[Effect]:
        """Run event `name`: its effects where it runs first, none where it is repeated."""
        self._script, self._at = script, at_ms
        try:
            effects = _run(self, name, args)
        finally:
            self._script = None
        return [] if script.replaying else effects

    def hold(self) -> None:
        """Nothing to hold: the effects are carried out by the caller after the commit."""

    def release(self, committed: bool) -> None:
        """Nothing was held."""

    def renew(self) -> None:
        """Start from an empty desk."""
        self.desk = Desk(self.settings, self._new_sid)
        self.presence = Presence()

    def snapshot(self, at_ms: int) -> dict[str, Any]:
        """The sessions, the queue, the agents' customers and who is online where."""
        desk = self.desk
        return {
            "sessions": [
                [s.customer, s.sid, s.stage.value, s.agent, s.served_by, s.rating_due]
                for s in desk.sessions.values()
            ],
            "queue": list(desk.queue),
            "online": sorted(desk.online),
            "serving": {agent: list(customers) for agent, customers in desk.serving.items()},
            "presence": self.presence.as_json(),
        }

    def restore(self, saved: dict[str, Any], at_ms: int) -> None:
        """Bring back a :meth:`snapshot`."""
        desk = self.desk
        for customer, sid, stage, agent, served_by, rating_due in saved.get("sessions", []):
            desk.sessions[str(customer)] = CsSession(
                str(customer), str(sid), Stage(stage), str(agent), str(served_by), bool(rating_due)
            )
        desk.queue = [str(c) for c in saved.get("queue", [])]
        desk.online = {str(a) for a in saved.get("online", [])}
        desk.serving = {str(a): [str(c) for c in cs] for a, cs in saved.get("serving", {}).items()}
        self.presence.load(saved.get("presence", {}))

    def nodes(self) -> set[str]:
        """The nodes some agent is online on."""
        return self.presence.nodes()

    def due(self, at_ms: int) -> list[tuple[str, list[Any]]]:
        """Time calls for nothing at the desk."""
        return []

    def lift(self) -> None:
        """Time does nothing at the desk."""

    def carry(self, result: Any) -> None:
        """The desk's effects of a node gone (agents offline): to `on_effects`."""
        if result:
            self.on_effects(list(result))


def _online(replica: DeskReplica, agent: str, node: str) -> list[Effect]:
    if replica.presence.up(agent, node):
        return replica.desk.agent_online(agent)
    return []


def _offline(replica: DeskReplica, agent: str, node: str) -> list[Effect]:
    if replica.presence.down(agent, node):
        return replica.desk.agent_offline(agent)
    return []


def _node_gone(replica: DeskReplica, node: str) -> list[Effect]:
    effects: list[Effect] = []
    for agent in replica.presence.node_gone(node):
        effects += replica.desk.agent_offline(agent)
    return effects


ACTS: dict[str, Callable[..., list[Effect]]] = {
    "handshake": lambda r, customer: r.desk.handshake(customer),
    "message": lambda r, customer, text: r.desk.message(customer, text),
    "change_mode": lambda r, customer: r.desk.change_mode(customer),
    "suspend": lambda r, customer: r.desk.suspend(customer),
    "evaluate": lambda r, customer, stars, comment: r.desk.evaluate(customer, stars, comment),
    "take": lambda r, agent, customer: r.desk.take(agent, customer),
    "end": lambda r, agent, customer: r.desk.end(agent, customer),
    "online": _online,
    "offline": _offline,
    "node_gone": _node_gone,
}
"""Every desk event, by name."""


def _run(replica: DeskReplica, name: str, args: list[Any]) -> list[Effect]:
    try:
        return ACTS[name](replica, *args)
    except DeskRefused as exc:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, str(exc)) from None
