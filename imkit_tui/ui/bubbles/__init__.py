"""Message bubbles: one renderer class per content type, found through one registry.

A bubble is not a widget: the chat view (a line-drawn list) asks it for a Rich
renderable at its width and draws the lines (see :mod:`imkit_tui.ui.bubbles.base`).

Ask the registry for the bubble of a message; it never raises::

    from imkit_tui.ui.bubbles import bubble_for, register

    bubble = bubble_for(message, me="alice", show_sender=True)
    register("App:Poll", PollBubble)  # a plugin's own type

A bubble subclasses :class:`Bubble` and implements ``render_body()``; each built-in
type has its own module (``text``, ``voice``, ``image``, ``gif``, ``file``,
``location``, ``video``, ``rich_content``, ``article``, ``combine``, and the notices
``notice``, ``call``, ``contact``, ``chatroom``, ``customer_service``). They register
through the ``builtin`` plugin entry point (:mod:`imkit_tui.ui.bubbles.builtin`), loaded
on the registry's first lookup. A bubble reads its content in
:meth:`Bubble.read_content`; unknown types get :class:`UnsupportedBubble`, and so does
content that ``read_content`` finds malformed.

Bubbles post :class:`Bubble.ActionRequested` (names in :mod:`.actions`) and take
:meth:`Bubble.set_transfer` and :meth:`Bubble.set_media_path` from the chat view;
:func:`set_animations` stops or restarts every GIF.
"""

from imkit_tui.ui.bubbles import actions
from imkit_tui.ui.bubbles._palette import Palette
from imkit_tui.ui.bubbles.article import ArticleBubble
from imkit_tui.ui.bubbles.base import Bubble, Dividers, Transfer
from imkit_tui.ui.bubbles.call import CallBubble
from imkit_tui.ui.bubbles.chatroom import ChatroomAttributeBubble
from imkit_tui.ui.bubbles.combine import CombineBubble
from imkit_tui.ui.bubbles.contact import ContactNoticeBubble, ProfileNoticeBubble
from imkit_tui.ui.bubbles.customer_service import CustomerServiceBubble
from imkit_tui.ui.bubbles.file import FileBubble
from imkit_tui.ui.bubbles.gif import GifBubble, animations_enabled, set_animations
from imkit_tui.ui.bubbles.image import ImageBubble
from imkit_tui.ui.bubbles.location import LocationBubble
from imkit_tui.ui.bubbles.notice import NoticeBubble, RecallNoticeBubble
from imkit_tui.ui.bubbles.registry import (
    bubble_class_for,
    bubble_for,
    register,
    registered,
)
from imkit_tui.ui.bubbles.rich_content import RichContentBubble
from imkit_tui.ui.bubbles.summary import SummaryBubble
from imkit_tui.ui.bubbles.text import TextBubble
from imkit_tui.ui.bubbles.unsupported import UnsupportedBubble
from imkit_tui.ui.bubbles.video import VideoBubble
from imkit_tui.ui.bubbles.voice import VoiceBubble

__all__ = [
    "ArticleBubble",
    "Bubble",
    "CallBubble",
    "ChatroomAttributeBubble",
    "CombineBubble",
    "ContactNoticeBubble",
    "CustomerServiceBubble",
    "Dividers",
    "FileBubble",
    "GifBubble",
    "ImageBubble",
    "LocationBubble",
    "NoticeBubble",
    "Palette",
    "ProfileNoticeBubble",
    "RecallNoticeBubble",
    "RichContentBubble",
    "SummaryBubble",
    "TextBubble",
    "Transfer",
    "UnsupportedBubble",
    "VideoBubble",
    "VoiceBubble",
    "actions",
    "animations_enabled",
    "bubble_class_for",
    "bubble_for",
    "register",
    "registered",
    "set_animations",
]
