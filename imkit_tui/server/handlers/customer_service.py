"""Customer service on the wire (protocol/cs_frames.py): a customer's sends to
ConvRef(5, account), an agent's replies to ConvRef(5, customer), and agents' requests.

The desk (server/customer_service/desk.py) decides; this module only carries out its
effects: signalling pushed to the customer (not stored), the robot's replies posted as
the account (stored, routed like any message), agents seated in a conversation, ratings
and left messages kept.
"""

from __future__ import annotations

from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    CsAgentRequest,
    CsAgentState,
    CsLeftMessage,
    ErrorCode,
    ProtocolError,
    SendMessage,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.customer_service.desk import (
    AgentsChanged,
    DeskRefused,
    Effect,
    LeftMessage,
    Rated,
    Reply,
    Seat,
    Signal,
)
from imkit_tui.server.customer_service.records import cs_key
from imkit_tui.server.handlers import send
from imkit_tui.server.handlers.context import ServerContext, ack_unstored, charge_send
from imkit_tui.server.handlers.posting import message_record, post
from imkit_tui.server.routing import Route
from imkit_tui.server.session import Session
from imkit_tui.server.store_records import Member

_CUSTOMER_SIGNALS = frozenset(
    {
        messages.CS_HANDSHAKE,
        messages.CS_CHANGE_MODE,
        messages.CS_SUSPEND,
        messages.CS_EVALUATION,
        messages.CS_LEAVE_MESSAGE,
    }
)
"""The signalling a customer sends; the desk answers each."""
_SERVICE_SIGNALS = _CUSTOMER_SIGNALS | {
    messages.CS_HANDSHAKE_RESPONSE,
    messages.CS_CHANGE_MODE_RESPONSE,
    messages.CS_END,
    messages.CS_UPDATE,
    messages.CS_PULL_EVALUATION,
    messages.CS_PULL_LEAVE_MESSAGE,
}
"""Every customer-service signalling name: never stored, never sent by an agent."""


def cs_route(account: str, customer: str, agent: str = "") -> Route:
    """The route of a message in `customer`'s conversation: the customer sees it as
    ConvRef(5, account), the serving `agent` (if one) as ConvRef(5, customer)."""
    kind = ConversationType.CUSTOMER_SERVICE
    deliveries = [(customer, ConvRef(type=kind, target=account))]
    if agent:
        deliveries.append((agent, ConvRef(type=kind, target=customer)))
    return Route(
        conv_type=kind,
        conv_key=cs_key(customer),
        members=(Member(customer, account),),
        deliveries=tuple(deliveries),
    )


async def on_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A send to a customer-service conversation: a customer's message or signalling,
    or an agent's reply to their customer."""
    desk = ctx.customer_service.desk
    account = desk.settings.account
    if not desk.settings.enabled:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "this server has no customer service", frame.id
        )
    sender = session.user_id
    if desk.is_agent(sender):
        customer = frame.conv.target
        if desk.agent_of(customer) != sender or frame.object_name in _SERVICE_SIGNALS:
            raise ProtocolError(
                ErrorCode.INVALID_PARAMETER, f"{customer} is not your customer now", frame.id
            )
        await _store(ctx, session, frame, cs_route(account, customer, sender))
        return
    if frame.conv.target != account or frame.conv.channel:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, f"no customer service {frame.conv.target!r}", frame.id
        )
    if frame.object_name in _SERVICE_SIGNALS:
        await _signalling(ctx, session, frame)
        return
    route = cs_route(account, sender, desk.agent_of(sender))
    # A retry of a message already stored is acked again; the robot answered it then.
    retry = await ctx.require_store().find_by_client_id(sender, frame.cmid, route.conv_key)
    await _store(ctx, session, frame, route)
    if retry is not None:
        return
    text = frame.content.get("content") if frame.object_name == messages.TEXT else ""
    text = text if isinstance(text, str) else ""
    ctx.spawn(_event(ctx, frame.id, "message", sender, text), frame.id, session)


async def _store(ctx: ServerContext, session: Session, frame: SendMessage, route: Route) -> None:
    """Authorize, store and fan out a message along `route` (handlers/send.py's steps)."""
    charge_send(ctx, session.user_id, frame.id)
    authorized = await send.authorize(ctx, session, frame, route)
    if not messages.lookup(frame.object_name).stored:
        send.relay_status(ctx, session, authorized)
        return
    authorized, _ = await send.moderate(ctx, session, authorized, set())
    send.persist(ctx, session, authorized, set())


async def _signalling(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A customer's signalling: decided by the desk, acked with seq 0, answered."""
    charge_send(ctx, session.user_id, frame.id)
    customer = session.user_id
    content = frame.content
    name = frame.object_name
    try:
        if name == messages.CS_HANDSHAKE:
            effects = await _act(ctx, frame.id, "handshake", customer)
        elif name == messages.CS_CHANGE_MODE:
            effects = await _act(ctx, frame.id, "change_mode", customer)
        elif name == messages.CS_SUSPEND:
            effects = await _act(ctx, frame.id, "suspend", customer)
        elif name == messages.CS_EVALUATION:
            stars = content.get("source")
            comment = content.get("suggest", "")
            if not isinstance(stars, int) or isinstance(stars, bool):
                raise DeskRefused("a rating's source is its stars, 1 to 5")
            comment = comment if isinstance(comment, str) else ""
            effects = await _act(ctx, frame.id, "evaluate", customer, stars, comment)
        elif name == messages.CS_LEAVE_MESSAGE:  # changes nothing at the desk
            fields = _data_set(content.get("dataSet"))
            effects = ctx.customer_service.desk.leave_message(customer, fields)
        else:
            raise DeskRefused(f"{name} comes from the service, not from a customer")
    except DeskRefused as exc:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, str(exc), frame.id) from None
    if name in (messages.CS_EVALUATION, messages.CS_LEAVE_MESSAGE):
        await run(ctx, effects)  # kept before the ack says so
        effects = []
    ack_unstored(session, frame)
    ctx.spawn(run(ctx, effects), frame.id, session)


def _data_set(raw: object) -> dict[str, str]:
    """The fields of a left message (RC:CsLM's `dataSet`), as text."""
    if not isinstance(raw, dict):
        raise DeskRefused("a left message's dataSet is an object of fields")
    return {str(k)[:64]: str(v)[:2000] for k, v in list(raw.items())[:20]}


async def on_agent(ctx: ServerContext, session: Session, frame: CsAgentRequest) -> None:
    """An agent's request: see the desk, take a customer, end a session, read left
    messages; answered with the desk as the agent sees it. `info` answers anyone."""
    await ctx.customer_service.caught_up()
    desk = ctx.customer_service.desk
    agent = session.user_id
    left: list[CsLeftMessage] = []
    if frame.op == "info" and not desk.is_agent(agent):
        settings = desk.settings
        session.send(CsAgentState(re=frame.id, account=settings.account, name=settings.name))
        return
    try:
        if frame.op == "take":
            await run(ctx, await _act(ctx, frame.id, "take", agent, frame.customer))
        elif frame.op == "end":
            await run(ctx, await _act(ctx, frame.id, "end", agent, frame.customer))
        desk.view(agent)  # refuses a user who is not an agent
    except DeskRefused as exc:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, str(exc), frame.id) from None
    if frame.op == "left":
        kept = await ctx.require_store().customer_service.left()
        left = [CsLeftMessage(customer=c, fields=f, left_at=at) for c, f, at in kept]
    state = agent_state(ctx, agent)
    state.re = frame.id
    state.left = left
    session.send(state)


def agent_state(ctx: ServerContext, agent: str) -> CsAgentState:
    """The desk as `agent` sees it, as a push."""
    view = ctx.customer_service.desk.view(agent)
    settings = ctx.customer_service.settings
    return CsAgentState(
        account=settings.account,
        name=settings.name,
        agent=True,
        waiting=list(view.waiting),
        mine=list(view.mine),
        online=list(view.online),
    )


async def presence(ctx: ServerContext, session: Session, online: bool) -> None:
    """An agent's device connected (`online`), or their last one here left."""
    replica = ctx.customer_service
    user = session.user_id
    if not replica.desk.is_agent(user):
        return
    effects = await replica.presence_changed(user, online)
    if effects and online:
        ctx.spawn(run(ctx, effects), 0, session)
    elif effects:
        _tell_agents(ctx)


async def run(ctx: ServerContext, effects: list[Effect]) -> None:
    """Carry out the desk's `effects`, in order."""
    desk = ctx.customer_service.desk
    account = desk.settings.account
    store = ctx.require_store()
    for effect in effects:
        if isinstance(effect, Signal):
            _signal(ctx, account, effect.customer, effect.object_name, effect.content)
        elif isinstance(effect, Reply):
            route = cs_route(account, effect.customer, desk.agent_of(effect.customer))
            await post(ctx, route, account, messages.TEXT, {"content": effect.text})
        elif isinstance(effect, Seat):
            route = cs_route(account, effect.customer, effect.agent)
            await store.ensure_conversation(route.conv_type, route.conv_key, route.members)
            await store.customer_service.seat(effect.customer, effect.agent, now_ms())
            notice = {"message": f"{effect.agent} is here to help"}
            await post(ctx, route, account, messages.INFO_NTF, notice)
        elif isinstance(effect, Rated):
            await store.customer_service.rate(
                effect.sid, effect.customer, effect.agent, effect.stars, effect.comment, now_ms()
            )
        elif isinstance(effect, LeftMessage):
            await store.customer_service.leave(effect.customer, effect.fields, now_ms())
        elif isinstance(effect, AgentsChanged):
            _tell_agents(ctx)


def _signal(
    ctx: ServerContext, account: str, customer: str, object_name: str, content: dict[str, Any]
) -> None:
    """Push a signalling message from the service to `customer`'s devices (not stored)."""
    sent_at = now_ms()
    record = message_record(
        ConvRef(type=ConversationType.CUSTOMER_SERVICE, target=account),
        new_uuid7(sent_at),
        0,
        account,
        object_name,
        content,
        new_uuid7(sent_at),
        sent_at,
    )
    ctx.fanout.deliver(cs_route(account, customer), record, skip=None)


def _tell_agents(ctx: ServerContext) -> None:
    """Push the desk to every online agent."""
    for agent in sorted(ctx.customer_service.desk.online):
        ctx.fanout.tell(agent, agent_state(ctx, agent))


async def _act(ctx: ServerContext, request_id: int, name: str, *args: Any) -> list[Effect]:
    """Desk event `name` (customer_service/replica.py); a refusal answers `request_id`."""
    try:
        return await ctx.customer_service.act(name, *args)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, request_id) from None


async def _event(ctx: ServerContext, request_id: int, name: str, *args: Any) -> None:
    """Desk event `name`, then its effects."""
    await run(ctx, await _act(ctx, request_id, name, *args))
