"""The user's own push URL, set from the app (SetPushUrl): where their offline pushes
go. The hooks keep it (server/hooks/), as /user/push/url/set does; a server that sends
no pushes answers a read with nothing and refuses a change."""

from __future__ import annotations

from imkit_tui.protocol import PushUrlState, SetPushUrl
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.session import Session


async def on_set_push_url(ctx: ServerContext, session: Session, frame: SetPushUrl) -> None:
    """Set (or with None only read) the user's push URL; answered with PushUrlState."""
    url, pushes = await ctx.hooks.user_push_url(session.user_id, frame.url, frame.id)
    session.send(PushUrlState(re=frame.id, url=url, pushes=pushes))
