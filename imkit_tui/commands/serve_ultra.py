"""The ultra group flags of `imkit serve`, and the policy they make."""

from __future__ import annotations

import argparse

from imkit_tui.server.ultra.config import UltraPolicy

_DEFAULTS = UltraPolicy()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ultra group flags to `imkit serve`'s parser."""
    ultra = parser.add_argument_group(
        "ultra groups",
        "groups with channels and no member limit, stored once per channel",
    )
    ultra.add_argument(
        "--ultra-max-joined",
        type=int,
        default=_DEFAULTS.max_joined,
        metavar="N",
        help=f"ultra groups one user may be in (default {_DEFAULTS.max_joined}; "
        "the next join is refused with 24412)",
    )
    ultra.add_argument(
        "--ultra-max-channels",
        type=int,
        default=_DEFAULTS.max_channels,
        metavar="N",
        help=f"channels a group may have besides its default one "
        f"(default {_DEFAULTS.max_channels})",
    )
    ultra.add_argument(
        "--ultra-history-days",
        type=int,
        default=_DEFAULTS.history_days,
        metavar="N",
        help=f"days a channel's cloud history is kept (default {_DEFAULTS.history_days})",
    )


def ultra_policy(args: argparse.Namespace) -> UltraPolicy:
    """The UltraPolicy the flags ask for (ValueError for a bad value)."""
    return UltraPolicy(
        max_joined=args.ultra_max_joined,
        max_channels=args.ultra_max_channels,
        history_days=args.ultra_history_days,
    )
