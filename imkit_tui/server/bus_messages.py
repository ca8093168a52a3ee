"""What nodes tell each other over the bus (sans-I/O): a message to deliver along a
route or to an ultra group's members online, a state frame for a user's devices or for
an ultra group's members online, and a change of who is in an ultra group. Each names
the node that sent it, which has already delivered to its own devices, so a node
ignores its own and every device gets a push once. The bus is a hint: the seq in the
store is the truth, and a device that missed a bus message catches up by sync."""

from __future__ import annotations

import msgspec

from imkit_tui.protocol import ConvRef, MessageRecord
from imkit_tui.server.routing import Route


class BusDelivery(msgspec.Struct, frozen=True, tag="d"):
    """Deliver `record` (numbered in the conversation's seqs) to the devices of the users
    in `deliveries` (each with the ConvRef they see it under). `targeted`: the
    conversation holds targeted messages, so each receiver's numbering must be read
    from the store first."""

    node: str
    conv_key: str
    deliveries: tuple[tuple[str, ConvRef], ...]
    record: MessageRecord
    targeted: bool = False

    def route(self) -> Route:
        """The route the receiving node delivers along (to its own devices)."""
        return Route(conv_type=0, conv_key=self.conv_key, members=(), deliveries=self.deliveries)


class BusTell(msgspec.Struct, frozen=True, tag="t"):
    """Send the encoded frame `frame` to every device of `user_id`."""

    node: str
    user_id: str
    frame: bytes


class BusRates(msgspec.Struct, frozen=True, tag="r"):
    """The sends a node let through since its last report, by user: the other nodes
    charge them to their own buckets (the send limit is per user, not per node)."""

    node: str
    counts: dict[str, int]


class BusGroupDelivery(msgspec.Struct, frozen=True, tag="g"):
    """Deliver `record` (a message of ultra group `group`'s channel stored as
    `conv_key`, under the ConvRef every member sees) to the group's members online on
    the receiving node: who is online is known there, not by the sender."""

    node: str
    group: str
    conv_key: str
    record: MessageRecord


class BusGroupTell(msgspec.Struct, frozen=True, tag="gt"):
    """Send the encoded frame `frame` to every device of ultra group `group`'s members
    online on the receiving node."""

    node: str
    group: str
    frame: bytes


class BusGroupChange(msgspec.Struct, frozen=True, tag="gc"):
    """`user_id` joined (`joined`) or left ultra group `group` ("": the group is gone):
    the receiving node keeps its index of who is online in it in step."""

    node: str
    group: str
    user_id: str
    joined: bool


BusMessage = BusDelivery | BusTell | BusRates | BusGroupDelivery | BusGroupTell | BusGroupChange

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(BusMessage)


def encode_bus(message: BusMessage) -> bytes:
    """The bytes of a bus message."""
    return _encoder.encode(message)


def decode_bus(data: bytes) -> BusMessage | None:
    """The bus message in `data`; None for bytes that are not one (from another version)."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError:
        return None


def delivery(node: str, route: Route, record: MessageRecord, targeted: bool) -> BusDelivery:
    """The bus message delivering `record` along `route` on the other nodes."""
    return BusDelivery(node, route.conv_key, route.deliveries, record, targeted)
