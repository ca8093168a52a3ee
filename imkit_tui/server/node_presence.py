"""Which nodes each user has a device on, for state kept by several nodes: a user is
online while any node has one of their devices. No I/O; kept the same on every node by
a log of acts (pg/act_log.py: `online`, `offline` and `node_gone`)."""

from __future__ import annotations


class Presence:
    """Users online, with the nodes their devices are on."""

    def __init__(self) -> None:
        self._nodes: dict[str, set[str]] = {}
        self._users_on: dict[str, int] = {}  # node -> how many users have a device on it

    def __contains__(self, user: object) -> bool:
        return user in self._nodes

    def up(self, user: str, node: str) -> bool:
        """A device of `user` is on `node`; True when the user was offline before."""
        nodes = self._nodes.get(user)
        if nodes is None:
            self._nodes[user] = nodes = set()
        elif node in nodes:
            return False
        nodes.add(node)
        self._users_on[node] = self._users_on.get(node, 0) + 1
        return len(nodes) == 1

    def down(self, user: str, node: str) -> bool:
        """`user` has no device on `node` any more; True when they are now offline."""
        nodes = self._nodes.get(user)
        if nodes is None or node not in nodes:
            return False
        nodes.discard(node)
        if self._users_on[node] == 1:
            del self._users_on[node]
        else:
            self._users_on[node] -= 1
        if nodes:
            return False
        del self._nodes[user]
        return True

    def users_on(self, node: str) -> list[str]:
        """The users with a device on `node`."""
        return sorted(user for user, nodes in self._nodes.items() if node in nodes)

    def node_gone(self, node: str) -> list[str]:
        """`node` is gone with every device on it; the users now offline."""
        return [user for user in self.users_on(node) if self.down(user, node)]

    def nodes(self) -> set[str]:
        """Every node some user is on (asked every tick: kept, not gathered)."""
        return set(self._users_on)

    def as_json(self) -> dict[str, list[str]]:
        """JSON-ready: user → their nodes."""
        return {user: sorted(nodes) for user, nodes in sorted(self._nodes.items())}

    def load(self, saved: dict[str, list[str]]) -> None:
        """Replace what is known by `saved` (what :meth:`as_json` gave)."""
        self._nodes = {str(u): {str(n) for n in nodes} for u, nodes in saved.items() if nodes}
        self._users_on = {}
        for nodes in self._nodes.values():
            for node in nodes:
                self._users_on[node] = self._users_on.get(node, 0) + 1
