"""Who of an ultra group's offline members a message is pushed to: those whose level in
force for its channel lets it notify them (levels.py), not under DND, with somewhere to
push to. Read page by page, beside the send (never on its path): the send's cost does
not grow with the members; this one does, as every push service's must.
"""

from __future__ import annotations

from collections.abc import Callable

from imkit_tui import messages
from imkit_tui.protocol import MessageRecord
from imkit_tui.server.ultra.interface import UltraRecords
from imkit_tui.server.ultra.levels import Mention, effective_level, notifies

PAGE = 500
"""Members read at a time."""


async def push_receivers(
    store: UltraRecords,
    record: MessageRecord,
    *,
    online: Callable[[str], bool],
    reachable: Callable[[str], bool],
) -> list[str]:
    """The members `record` (an ultra channel's message) is pushed to: offline
    (`online` false), `reachable` (a push URL), and notified at their level."""
    kind = messages.lookup(record.object_name)
    group = await store.group(record.conv.target)
    if group is None or not (kind.pushed and kind.counted):
        return []
    ids, everyone = messages.read_mentions(record.content)
    named = set(ids)
    chosen: list[str] = []
    after = ""
    while page := await store.push_settings(group.group_id, record.conv.channel, after, PAGE):
        after = page[-1][0]
        for user, group_level, group_dnd, channel_level, channel_dnd in page:
            if user == record.sender or online(user) or not reachable(user):
                continue
            level = effective_level(channel_level, group_level, group.default_level)
            mention = Mention(me=user in named, everyone=everyone)
            if notifies(level, group_dnd or channel_dnd, mention):
                chosen.append(user)
    return chosen
