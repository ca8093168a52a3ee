"""Frames of people's profiles: display names and portrait URLs.

A client asks for the profiles of up to :data:`MAX_PROFILES_ASKED` users in one
:class:`ProfileQuery` (it asks in batches, never once per row it draws), and sets its
own user's with :class:`UpdateProfile`; both are answered with a :class:`ProfileList`.
A change reaches the devices that show the user as a status push of ``RC:UIUMsg``
(see ``server/handlers/profiles.py``), not as a frame of its own.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from imkit_tui.protocol.frame_base import Frame, UserId

MAX_NAME_CHARS = 128
"""The longest display name (as the Server API's `/user/refresh`)."""
MAX_PORTRAIT_CHARS = 1024
"""The longest portrait URL."""
MAX_PROFILES_ASKED = 100
"""The most users one ProfileQuery names."""

ProfileName = Annotated[str, msgspec.Meta(max_length=MAX_NAME_CHARS)]
PortraitUrl = Annotated[str, msgspec.Meta(max_length=MAX_PORTRAIT_CHARS)]


class UserProfile(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One user's display name and portrait URL ("" when not set), and when they last
    changed (server ms; 0 for a user without a profile)."""

    user_id: str
    name: str = ""
    portrait: str = ""
    updated_at: int = 0


class ProfileQuery(Frame, tag="profiles"):
    """The profiles of `users` (at most MAX_PROFILES_ASKED): answered by a ProfileList
    holding one entry per user asked, in order (empty for an unknown user)."""

    users: Annotated[list[UserId], msgspec.Meta(min_length=1, max_length=MAX_PROFILES_ASKED)]


class UpdateProfile(Frame, tag="profile"):
    """Set the user's own display name and/or portrait URL (None: unchanged; "" clears
    the portrait). Answered by a ProfileList with the new profile; every device showing
    the user is told with an ``RC:UIUMsg`` push. An empty frame asks for it."""

    name: ProfileName | None = None
    portrait: PortraitUrl | None = None


class ProfileList(Frame, tag="profile_list"):
    """Profiles: the answer to ProfileQuery and UpdateProfile."""

    profiles: list[UserProfile] = []
