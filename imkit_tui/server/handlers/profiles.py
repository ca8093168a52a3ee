"""People's profiles: display names and portrait URLs.

A ProfileQuery reads up to 100 users' profiles in one store read. An UpdateProfile sets
the caller's own; the Server API sets anyone's (`/user/refresh`, `/user/getToken`). Either
way :func:`announce` tells every device that shows the user (their own, and those of
everyone sharing a conversation with them) with a status push of ``RC:UIUMsg`` from the
server's own account whose ``userInfo`` carries the new profile: not stored, not
counted, live only. A device that
was offline reads the profile again when it next needs it (its cache ages out).
"""

from __future__ import annotations

from imkit_tui import messages
from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    ConvRef,
    ErrorCode,
    MessageRecord,
    ProtocolError,
    Push,
    media_sha256,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.profile_frames import ProfileList, ProfileQuery, UpdateProfile, UserProfile
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store


def portrait_problem(url: str) -> str | None:
    """Why `url` cannot be a portrait ("" clears one; http(s) or a stored file's URL
    are accepted), or None when it can."""
    if url == "" or (url.startswith(("http://", "https://")) and url.isprintable()):
        return None
    if media_sha256(url) is not None:
        return None
    return "a portrait is an http(s) URL or a stored file's URL"


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a display name (control characters), or None when it can."""
    return None if name.isprintable() else "a name has no control characters"


def wire_profiles(user_ids: list[str], found: dict[str, tuple[str, str, int]]) -> list[UserProfile]:
    """One UserProfile per id asked, in order (empty for those without a profile)."""
    listed = []
    for user_id in user_ids:
        name, portrait, at = found.get(user_id, ("", "", 0))
        listed.append(UserProfile(user_id=user_id, name=name, portrait=portrait, updated_at=at))
    return listed


async def on_profile_query(ctx: ServerContext, session: Session, frame: ProfileQuery) -> None:
    """Answer with the profiles of the users asked, one read for all of them."""
    users = list(dict.fromkeys(frame.users))
    found = await ctx.require_store().users.profiles(users)
    desk = ctx.config.customer_service
    if desk.enabled and desk.account in users and not found.get(desk.account, ("",))[0]:
        # The customer-service account is named by the config until given a profile.
        found[desk.account] = (desk.name, "", 0)
    session.send(ProfileList(re=frame.id, profiles=wire_profiles(users, found)))


async def on_update_profile(ctx: ServerContext, session: Session, frame: UpdateProfile) -> None:
    """Set the caller's own name and/or portrait; answer with the new profile and tell
    every device showing them."""
    problem = (name_problem(frame.name.strip()) if frame.name is not None else None) or (
        portrait_problem(frame.portrait.strip()) if frame.portrait is not None else None
    )
    if problem is not None:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, problem, frame.id)
    user_id = session.user_id
    store = ctx.require_store()
    name = frame.name.strip() if frame.name is not None else None
    portrait = frame.portrait.strip() if frame.portrait is not None else None
    digest = media_sha256(portrait)
    # A stored file becomes readable by all as a portrait: only one who may read it
    # (its uploader, a member of a chat that holds it) may make it one.
    if digest is not None and not await store.files.may_read(user_id, digest, now_ms()):
        raise ProtocolError(ErrorCode.MEDIA_NOT_FOUND, "no such file", frame.id)
    if name is not None or portrait is not None:
        await store.users.set_profile(user_id, name, portrait, now_ms())
    found = await store.users.profiles([user_id])
    profile = wire_profiles([user_id], found)[0]
    session.send(ProfileList(re=frame.id, profiles=[profile]))
    if name is not None or portrait is not None:
        await announce(store, ctx.fanout, profile, skip=session)


def user_info_record(profile: UserProfile) -> MessageRecord:
    """The ``RC:UIUMsg`` status record telling of `profile`: from the server's own
    account (which clients believe; a user's own RC:UIUMsg is only a hint to ask), in
    the private conversation with the user it is about."""
    user_id = profile.user_id
    return MessageRecord(
        uid=new_uuid7(),
        conv=ConvRef.private(user_id),
        seq=0,
        sender=SYSTEM_ACCOUNT,
        object_name=messages.USER_INFO_UPDATE,
        content={
            "userInfo": {"id": user_id, "name": profile.name, "portrait": profile.portrait},
            "updatedAt": profile.updated_at,
        },
        cmid=new_uuid7(),
        sent_at=profile.updated_at or now_ms(),
    )


async def announce(
    store: Store, fanout: Fanout, profile: UserProfile, skip: Session | None = None
) -> int:
    """Push `profile` as ``RC:UIUMsg`` to the user's devices (but `skip`) and to everyone
    sharing a conversation with them; how many users were told."""
    user_id = profile.user_id
    told = [user_id, *await store.users.contacts(user_id)]
    push = Push(message=user_info_record(profile))
    for receiver in told:
        fanout.tell(
            receiver,
            push,
            skip=skip if receiver == user_id else None,
        )
    return len(told)


async def profile_of(store: Store, user_id: str) -> UserProfile:
    """`user_id`'s profile as the store holds it now."""
    return wire_profiles([user_id], await store.users.profiles([user_id]))[0]


async def display_names(store: Store, user_ids: list[str]) -> list[str]:
    """Each user's display name, or their id when they have none (for the nicknames a
    group notice carries, as the service's do)."""
    found = await store.users.profiles(user_ids)
    return [found[u][0] if u in found and found[u][0] else u for u in user_ids]
