"""How the server's customer-service account is set up: the ``[customer_service]`` table
of the config file (or the embedded server's demo). No I/O but reading the FAQ file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imkit_tui.server.customer_service.faq import Faq, load_faq

ROBOT_FIRST = "robot"
HUMAN_FIRST = "human"
MODES = (ROBOT_FIRST, HUMAN_FIRST)


@dataclass(frozen=True, slots=True)
class CustomerServiceSettings:
    """The customer-service account: its id (customers open ConvRef(5, id)), the name
    shown, the robot's FAQ, the agents (imkit users with the agent role), the mode
    (robot first, or straight to a person), and how many customers one agent serves at
    once before the others wait in the queue. `account` empty: no customer service."""

    account: str = ""
    name: str = "Customer service"
    faq: Faq = field(default_factory=lambda: Faq(()))
    agents: tuple[str, ...] = ()
    mode: str = ROBOT_FIRST
    max_per_agent: int = 5
    welcome: str = 'Hello! Ask me anything, or say "talk to a human".'

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"customer_service mode must be one of {', '.join(MODES)}")
        if self.max_per_agent < 1:
            raise ValueError("customer_service max_per_agent must be at least 1")
        if self.account and self.account in self.agents:
            raise ValueError("the customer-service account cannot be one of its agents")

    @property
    def enabled(self) -> bool:
        """Whether the server has a customer-service account."""
        return bool(self.account)


_KEYS = {"id", "name", "faq", "agents", "mode", "max_per_agent", "welcome"}


def settings_from_table(table: Mapping[str, Any], base: Path) -> CustomerServiceSettings:
    """The settings of a ``[customer_service]`` table (`faq` relative to `base`, the
    config file's folder); ValueError names a bad key or value."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ValueError(f"unknown customer_service keys: {', '.join(unknown)}")
    if not table:
        return CustomerServiceSettings()
    account = table.get("id")
    if not isinstance(account, str) or not account or len(account) > 64:
        raise ValueError("customer_service needs an id (1 to 64 characters)")
    agents = table.get("agents", [])
    if not isinstance(agents, list) or not all(isinstance(a, str) and a for a in agents):
        raise ValueError("customer_service agents must be a list of user ids")
    faq = Faq(())
    faq_path = table.get("faq")
    if faq_path is not None:
        if not isinstance(faq_path, str):
            raise ValueError("customer_service faq must be a file path")
        faq = load_faq((base / faq_path).expanduser())
    values: dict[str, Any] = {}
    for key, kind in (("name", str), ("mode", str), ("welcome", str), ("max_per_agent", int)):
        if key in table:
            if not isinstance(table[key], kind) or isinstance(table[key], bool):
                raise ValueError(f"customer_service {key} must be a {kind.__name__}")
            values[key] = table[key]
    return CustomerServiceSettings(
        account=account, faq=faq, agents=tuple(dict.fromkeys(agents)), **values
    )
