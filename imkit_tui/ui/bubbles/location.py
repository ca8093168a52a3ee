"""The location bubble (``RC:LBSMsg``): place name, coordinates, map thumbnail, map link.

::

    📍 People's Square
    31.2304° N, 121.4737° E
    ▀▀▄▄ (thumbnail, when the content has one)
    Open in map ↗

A click (on the link or anywhere on the body) asks for "open_map" with
:attr:`LocationBubble.map_url`, an OpenStreetMap URL. Coordinates that are not numbers
or out of range make the content malformed.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._fields import content_of, number_field, one_line, text_field
from imkit_tui.ui.bubbles._picture import Thumbnail, inline_pictures
from imkit_tui.ui.bubbles.base import Bubble

MAX_WIDTH = 32
"""The widest the thumbnail is drawn, in columns."""
MAX_HEIGHT = 10
"""The tallest the thumbnail is drawn, in rows."""
MAP_LINK = "Open in map ↗"
"""The text of the link."""


def _decimal(value: float) -> str:
    """A coordinate for a URL: up to six decimals, no trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def coordinates_text(latitude: float, longitude: float) -> str:
    """Format a position as ``31.2304° N, 121.4737° E``."""
    north = "N" if latitude >= 0 else "S"
    east = "E" if longitude >= 0 else "W"
    return f"{abs(latitude):.4f}° {north}, {abs(longitude):.4f}° {east}"


def map_url(latitude: float, longitude: float) -> str:
    """The OpenStreetMap URL of a position, zoomed to street level."""
    lat, lon = _decimal(latitude), _decimal(longitude)
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"


class LocationBubble(Bubble):
    """A shared location.

    Raises :class:`ValueError` when the content is not a mapping, ``latitude`` or
    ``longitude`` is missing, not a number or out of range, or ``poi``/``content`` are
    not strings.
    """

    def read_content(self, message: Message) -> None:
        """Read the position, the place name and the thumbnail."""
        content = content_of(message.content)
        self._latitude = number_field(content, "latitude", required=True, low=-90, high=90) or 0.0
        self._longitude = (
            number_field(content, "longitude", required=True, low=-180, high=180) or 0.0
        )
        self._poi = one_line(text_field(content, "poi") or "", limit=200)
        encoded = text_field(content, "content")
        self._thumbnail = Thumbnail(encoded, max_width=MAX_WIDTH, max_height=MAX_HEIGHT)

    @property
    def latitude(self) -> float:
        """Degrees north (negative: south)."""
        return self._latitude

    @property
    def longitude(self) -> float:
        """Degrees east (negative: west)."""
        return self._longitude

    @property
    def place(self) -> str:
        """The place name (``poi``), or "Location" without one."""
        return self._poi or "Location"

    @property
    def map_url(self) -> str:
        """The position on OpenStreetMap."""
        return map_url(self._latitude, self._longitude)

    def actions(self) -> list[tuple[str, str]]:
        """Open in a web map."""
        return act.labelled(act.OPEN_MAP)

    @property
    def default_action(self) -> str | None:
        """A click opens the map."""
        return act.OPEN_MAP

    def url_for(self, action: str) -> str | None:
        """The map URL for "open_map"."""
        return self.map_url if action == act.OPEN_MAP else None

    def render_body(self) -> RenderableType:
        """Place, coordinates, the thumbnail when there is one, and the map link."""
        colours = self.palette
        place = Text(f"📍 {self.place}", style=colours.title, overflow="fold")
        where = Text(coordinates_text(self._latitude, self._longitude), style=self.detail_style)
        parts: list[RenderableType] = [place, where]
        picture = self._thumbnail.renderable(inline_pictures(self))
        if picture is not None:
            parts.append(picture)
        link_style = act.link_style(self.map_url, act.OPEN_MAP, base=colours.link)
        parts.append(Text(MAP_LINK, style=link_style))
        return Group(*parts)
