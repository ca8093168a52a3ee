"""The app's screens, each beside its .tcss.

The dialogs below are not on the first frame: they load on first use
(:func:`imkit_tui.lazy.lazy_names`), e.g. ``screens.ConfirmScreen(question)``.
``ProfileActions`` (people's names and pictures) and ``PublicActions`` (public service
accounts) load as the main screen is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
    from imkit_tui.ui.screens.agent_desk import AgentDeskScreen
    from imkit_tui.ui.screens.chatrooms import open_chatrooms
    from imkit_tui.ui.screens.cs_prompts import LeaveMessageScreen, RatingScreen
    from imkit_tui.ui.screens.customer_service import CustomerServiceActions
    from imkit_tui.ui.screens.new_chat import NewChatScreen
    from imkit_tui.ui.screens.new_group import start_accepting_invitation, start_new_group
    from imkit_tui.ui.screens.profile_actions import ProfileActions
    from imkit_tui.ui.screens.prompts import (
        ActionMenuScreen,
        ConfirmScreen,
        PasteOfferScreen,
        TextPromptScreen,
    )
    from imkit_tui.ui.screens.public_actions import PublicActions

__all__ = [
    "ActionMenuScreen",
    "AgentDeskScreen",
    "ConfirmScreen",
    "CustomerServiceActions",
    "LeaveMessageScreen",
    "NewChatScreen",
    "PasteOfferScreen",
    "ProfileActions",
    "PublicActions",
    "RatingScreen",
    "TextPromptScreen",
    "open_chatrooms",
    "start_accepting_invitation",
    "start_new_group",
]

_PROMPTS = "imkit_tui.ui.screens.prompts"
_CS_PROMPTS = "imkit_tui.ui.screens.cs_prompts"
__getattr__ = lazy_names(
    __name__,
    {
        "ActionMenuScreen": _PROMPTS,
        "AgentDeskScreen": "imkit_tui.ui.screens.agent_desk",
        "CustomerServiceActions": "imkit_tui.ui.screens.customer_service",
        "LeaveMessageScreen": _CS_PROMPTS,
        "RatingScreen": _CS_PROMPTS,
        "ConfirmScreen": _PROMPTS,
        "PasteOfferScreen": _PROMPTS,
        "TextPromptScreen": _PROMPTS,
        "NewChatScreen": "imkit_tui.ui.screens.new_chat",
        "ProfileActions": "imkit_tui.ui.screens.profile_actions",
        "PublicActions": "imkit_tui.ui.screens.public_actions",
        "open_chatrooms": "imkit_tui.ui.screens.chatrooms",
        "start_accepting_invitation": "imkit_tui.ui.screens.new_group",
        "start_new_group": "imkit_tui.ui.screens.new_group",
    },
)
