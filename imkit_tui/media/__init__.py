"""Files and pictures: safe image decoding, thumbnails, kinds, durations, waveforms.

No event loop, no terminal, no layer of the app: plain functions over paths and bytes,
used by the client core (preparing attachments) and the UI (drawing them).
"""

from imkit_tui.media import limits
from imkit_tui.media.images import (
    Frame,
    ImageError,
    decode_base64_image,
    gif_frames,
    image_size,
    open_image,
    thumbnail_base64,
    thumbnail_jpeg,
)
from imkit_tui.media.probe import (
    MediaKind,
    audio_duration,
    describe_size,
    file_icon,
    guess_kind,
    sniff_mime,
    video_duration,
    video_thumbnail,
    waveform,
)

__all__ = [
    "Frame",
    "ImageError",
    "MediaKind",
    "audio_duration",
    "decode_base64_image",
    "describe_size",
    "file_icon",
    "gif_frames",
    "guess_kind",
    "image_size",
    "limits",
    "open_image",
    "sniff_mime",
    "thumbnail_base64",
    "thumbnail_jpeg",
    "video_duration",
    "video_thumbnail",
    "waveform",
]
