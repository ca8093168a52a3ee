"""The built-in bubbles, registered like any plugin's (entry point ``builtin``).

:func:`setup` is the ``builtin`` entry point of the ``imkit.plugins`` group;
:func:`imkit_tui.plugins.load_plugins` runs it before every other plugin, so a plugin
may replace a built-in bubble with ``replace=True``. The registry loads plugins on its
first lookup, so code that never calls the loader still gets these bubbles.
"""

from __future__ import annotations

from imkit_tui import messages
from imkit_tui.plugins import PluginRegistry
from imkit_tui.ui.bubbles.article import ArticleBubble
from imkit_tui.ui.bubbles.base import Bubble
from imkit_tui.ui.bubbles.call import CallBubble
from imkit_tui.ui.bubbles.chatroom import ChatroomAttributeBubble
from imkit_tui.ui.bubbles.combine import CombineBubble
from imkit_tui.ui.bubbles.contact import ContactNoticeBubble, ProfileNoticeBubble
from imkit_tui.ui.bubbles.customer_service import CUSTOMER_SERVICE_TYPES, CustomerServiceBubble
from imkit_tui.ui.bubbles.file import FileBubble
from imkit_tui.ui.bubbles.gif import GifBubble
from imkit_tui.ui.bubbles.image import ImageBubble
from imkit_tui.ui.bubbles.location import LocationBubble
from imkit_tui.ui.bubbles.notice import NoticeBubble, RecallNoticeBubble
from imkit_tui.ui.bubbles.registry import registered
from imkit_tui.ui.bubbles.rich_content import RichContentBubble
from imkit_tui.ui.bubbles.text import TextBubble
from imkit_tui.ui.bubbles.video import VideoBubble
from imkit_tui.ui.bubbles.voice import VoiceBubble

CONTENT_BUBBLES: dict[str, type[Bubble]] = {
    messages.TEXT: TextBubble,
    messages.VOICE: VoiceBubble,
    messages.VOICE_LEGACY: VoiceBubble,
    messages.IMAGE: ImageBubble,
    messages.GIF: GifBubble,
    messages.RICH_CONTENT: RichContentBubble,
    messages.FILE: FileBubble,
    messages.LOCATION: LocationBubble,
    messages.SIGHT: VideoBubble,
    messages.COMBINE: CombineBubble,
    messages.PS_ARTICLE: ArticleBubble,
    messages.PS_MULTI_ARTICLE: ArticleBubble,
}
"""The bubble of every built-in content type."""

NOTICE_BUBBLES: dict[str, type[Bubble]] = {
    messages.INFO_NTF: NoticeBubble,
    messages.GROUP_NTF: NoticeBubble,
    messages.RECALL: NoticeBubble,
    messages.RECALL_NTF: RecallNoticeBubble,
    messages.CONTACT_NTF: ContactNoticeBubble,
    messages.PROFILE_NTF: ProfileNoticeBubble,
    messages.CHATROOM_KV_NTF: ChatroomAttributeBubble,
    messages.CALL_HANGUP: CallBubble,
    messages.CALL_INVITE: CallBubble,
    **dict.fromkeys(CUSTOMER_SERVICE_TYPES, CustomerServiceBubble),
}
"""The bubble of every notice shown in the chat (grey centred lines).

Other known types (commands, read receipts, typing…) never reach the chat view; if
one does, the registry shows it as a plain notice.
"""

BUILTIN_BUBBLES: dict[str, type[Bubble]] = {**CONTENT_BUBBLES, **NOTICE_BUBBLES}
"""Every built-in bubble, by object name."""


def setup(registry: PluginRegistry) -> None:
    """Register every built-in bubble; names something registered earlier are kept.

    A bubble registered before the plugins loaded (by a test, or by code that called
    :func:`~imkit_tui.ui.bubbles.registry.register` at import) therefore wins over the
    built-in one, as it always did.
    """
    taken = registered(load=False)
    for object_name, bubble_class in BUILTIN_BUBBLES.items():
        if object_name not in taken:
            registry.add_bubble(object_name, bubble_class)
