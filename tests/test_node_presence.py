"""Who is on which node (server/node_presence.py), with no I/O."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from imkit_tui.server.node_presence import Presence

USERS = st.sampled_from(["alice", "bob", "carol"])
NODES = st.sampled_from(["n1", "n2", "n3"])
STEPS = st.lists(
    st.tuples(st.sampled_from(["up", "down", "gone", "reload"]), USERS, NODES), max_size=40
)


@given(STEPS)
def test_the_nodes_are_those_some_user_is_on(steps: list[tuple[str, str, str]]) -> None:
    presence = Presence()
    on: dict[str, set[str]] = {}
    for step, user, node in steps:
        if step == "up":
            assert presence.up(user, node) == (user not in on)
            on.setdefault(user, set()).add(node)
        elif step == "down":
            was = node in on.get(user, set())
            on.get(user, set()).discard(node)
            assert presence.down(user, node) == (was and not on[user])
            if user in on and not on[user]:
                del on[user]
        elif step == "gone":
            offline = presence.node_gone(node)
            for who in list(on):
                on[who].discard(node)
            assert sorted(offline) == sorted(u for u in on if not on[u])
            on = {u: n for u, n in on.items() if n}
        else:
            presence.load(presence.as_json())
        assert presence.nodes() == set().union(*on.values())
        assert {u for u in on} == {u for u in ["alice", "bob", "carol"] if u in presence}
