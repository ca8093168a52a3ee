"""imkit_tui.media: decoding, thumbnails, GIF frames, sniffing, durations, waveforms."""

from __future__ import annotations

import base64
import io
import math
import random
import shutil
import struct
import subprocess
import sys
import wave
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from imkit_tui.media import limits
from imkit_tui.media.images import (
    DEFAULT_FRAME_MS,
    MIN_FRAME_MS,
    ImageError,
    decode_base64_image,
    gif_frames,
    image_size,
    open_image,
    thumbnail_base64,
    thumbnail_jpeg,
)
from imkit_tui.media.probe import (
    SNIFF_BYTES,
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

# -- helpers ---------------------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    """An RGB picture of random pixels: the worst case for JPEG and PNG sizes."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def box(kind: bytes, payload: bytes) -> bytes:
    """An ISO base media (MP4) box."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def minimal_mp4(brand: bytes = b"isom", *, timescale: int = 1000, duration: int = 3500) -> bytes:
    """An MP4 with a file type box and a movie header: enough for its duration."""
    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, timescale, duration) + bytes(80))
    return box(b"ftyp", brand + bytes(4) + b"isomiso2mp41") + box(b"moov", mvhd)


def write_wav(
    path: Path,
    samples: list[float],
    *,
    rate: int = 8000,
    width: int = 2,
    channels: int = 1,
) -> Path:
    """Write ``samples`` (-1.0..1.0, repeated on every channel) as integer PCM."""
    full = (1 << (8 * width - 1)) - 1
    frames = bytearray()
    for sample in samples:
        value = round(sample * full)
        raw = (
            (value + 128).to_bytes(1, "little")
            if width == 1
            else value.to_bytes(width, "little", signed=True)
        )
        frames += raw * channels
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames))
    return path


def silence_then_sine(rate: int = 8000) -> list[float]:
    quiet = [0.0] * rate
    loud = [0.9 * math.sin(2 * math.pi * 440 * n / rate) for n in range(rate)]
    return quiet + loud


# -- open_image ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF"])
def test_open_image_decodes_real_pictures(fmt: str) -> None:
    data = encode(Image.new("RGB", (32, 24), (200, 30, 40)), fmt)
    image = open_image(data)
    assert image.size == (32, 24)
    red, green, blue = pixel(image.convert("RGB"), (5, 5))
    assert red > 180 and green < 60 and blue < 60


def test_open_image_applies_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90° clockwise to show
    data = encode(Image.new("RGB", (40, 20), "white"), "JPEG", exif=exif)
    assert open_image(data).size == (20, 40)
    assert image_size(data) == (20, 40)


def test_text_is_not_an_image_and_the_message_names_the_file() -> None:
    with pytest.raises(ImageError, match=r"^notes\.txt is not an image$"):
        open_image(b"just some notes\n", name="notes.txt")
    with pytest.raises(ImageError):
        image_size(b"just some notes\n")


def test_a_truncated_png_is_refused() -> None:
    data = encode(noise(64, 64), "PNG")
    with pytest.raises(ImageError, match="damaged or incomplete"):
        open_image(data[: len(data) // 2])


def test_a_corrupted_png_chunk_is_refused() -> None:
    data = bytearray(encode(noise(16, 16), "PNG"))
    data[60] ^= 0xFF  # inside the image data: the chunk's CRC no longer matches
    with pytest.raises(ImageError):
        open_image(bytes(data))


def test_a_png_whose_checksum_is_wrong_is_refused_though_its_pixels_decode() -> None:
    data = bytearray(encode(Image.new("RGB", (4, 4), "red"), "PNG"))
    at = data.index(b"IDAT")
    length = int.from_bytes(data[at - 4 : at], "big")
    data[at + 4 + length] ^= 0xFF  # the IDAT chunk's CRC, the compressed pixels intact
    with pytest.raises(ImageError, match="damaged or incomplete"):
        open_image(bytes(data))


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IEND", b"")
    with pytest.raises(ImageError, match="too large"):
        open_image(data, name="bomb.png")
    with pytest.raises(ImageError, match="too large"):
        image_size(data)


def test_the_pixel_limit_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(Image.new("RGB", (20, 20)), "PNG")
    assert open_image(data).size == (20, 20)
    monkeypatch.setattr(limits, "MAX_PIXELS", 399)
    with pytest.raises(ImageError, match=r"20×20 pixels"):
        open_image(data)
    with pytest.raises(ImageError):
        gif_frames(data)


# -- thumbnails ------------------------------------------------------------------------


def test_thumbnail_fits_the_side_and_byte_limits() -> None:
    data = thumbnail_jpeg(noise(1000, 600))
    assert len(data) <= limits.THUMBNAIL_MAX_BYTES
    thumb = Image.open(io.BytesIO(data))
    assert thumb.format == "JPEG" and thumb.mode == "RGB"
    assert thumb.size == (240, 144)


def test_thumbnail_lowers_quality_then_size_to_meet_the_byte_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = noise(400, 400)
    full = thumbnail_jpeg(image)
    monkeypatch.setattr(limits, "THUMBNAIL_MAX_BYTES", len(full) // 2)
    smaller = thumbnail_jpeg(image)
    assert len(smaller) <= len(full) // 2
    assert Image.open(io.BytesIO(smaller)).size == (240, 240)  # quality alone was enough
    monkeypatch.setattr(limits, "THUMBNAIL_MAX_BYTES", 3000)
    tiny = thumbnail_jpeg(image)
    assert len(tiny) <= 3000
    assert max(Image.open(io.BytesIO(tiny)).size) < 240  # it had to shrink too


def test_thumbnail_never_enlarges_and_flattens_alpha_on_white() -> None:
    image = Image.new("RGBA", (50, 30), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 10, 30))
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(image, max_side=100)))
    assert thumb.size == (50, 30)
    assert all(channel > 235 for channel in pixel(thumb, (40, 15)))
    blue = pixel(thumb, (3, 15))
    assert blue[2] > 200 and blue[0] < 40


def test_thumbnail_of_a_palette_picture_with_transparency() -> None:
    image = Image.new("P", (300, 100), 0)
    image.putpalette([0, 0, 0, 0, 255, 0])
    image.info["transparency"] = 0
    image.paste(1, (0, 0, 150, 100))
    thumb = Image.open(io.BytesIO(thumbnail_jpeg(image)))
    assert thumb.size == (240, 80)
    assert all(channel > 235 for channel in pixel(thumb, (200, 40)))


def test_thumbnail_base64_round_trips_through_decode_base64_image() -> None:
    data = encode(noise(500, 250), "PNG")
    text = thumbnail_base64(data)
    assert text.isascii() and not text.startswith("data:")
    assert len(base64.b64decode(text)) <= limits.THUMBNAIL_MAX_BYTES
    image = decode_base64_image(text)
    assert image is not None and image.size == (240, 120)
    prefixed = decode_base64_image("data:image/jpeg;base64," + text)
    assert prefixed is not None and prefixed.size == (240, 120)
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76)).rstrip("=")
    assert decode_base64_image(wrapped) is not None


def test_thumbnail_base64_refuses_what_is_not_an_image() -> None:
    with pytest.raises(ImageError, match=r"^x\.pdf is not an image$"):
        thumbnail_base64(b"%PDF-1.7\n", name="x.pdf")


@pytest.mark.parametrize(
    "value",
    [
        None,
        12345,
        b"iVBORw0KGgo=",
        "",
        "!!! not base64 !!!",
        base64.b64encode(b"hello, world").decode(),
        "data:image/png," + base64.b64encode(b"\x89PNG").decode(),
        base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(40)).decode(),
    ],
)
def test_decode_base64_image_returns_none_for_garbage(value: object) -> None:
    assert decode_base64_image(value) is None


# -- GIF frames ------------------------------------------------------------------------


def three_frame_gif(durations: list[int] | None = None) -> bytes:
    frames = [Image.new("RGB", (30, 20), colour) for colour in ("red", "lime", "blue")]
    options: dict[str, object] = {"save_all": True, "append_images": frames[1:], "loop": 0}
    if durations is not None:
        options["duration"] = durations
    return encode(frames[0], "GIF", **options)


def test_gif_frames_gives_every_frame_with_its_delay() -> None:
    frames = gif_frames(three_frame_gif([50, 0, 200]))
    assert len(frames) == 3
    assert [frame.duration_ms for frame in frames] == [50, DEFAULT_FRAME_MS, 200]
    assert [frame.image.getpixel((3, 3)) for frame in frames] == [
        (255, 0, 0, 255),
        (0, 255, 0, 255),
        (0, 0, 255, 255),
    ]
    assert all(frame.image.mode == "RGBA" and frame.image.size == (30, 20) for frame in frames)


def test_gif_frames_defaults_missing_delays_and_raises_tiny_ones() -> None:
    assert [frame.duration_ms for frame in gif_frames(three_frame_gif())] == [100] * 3
    assert [f.duration_ms for f in gif_frames(three_frame_gif([10, 10, 10]))] == [MIN_FRAME_MS] * 3


def test_gif_frames_composites_partial_frames() -> None:
    base = Image.new("RGBA", (20, 20), (255, 0, 0, 255))
    patch = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    patch.paste((0, 0, 255, 255), (8, 8, 12, 12))
    data = encode(base, "GIF", save_all=True, append_images=[patch], disposal=1, duration=80)
    first, second = gif_frames(data)
    assert second.image.getpixel((10, 10)) == (0, 0, 255, 255)
    assert second.image.getpixel((1, 1)) == (255, 0, 0, 255)  # the first frame shows through
    assert first.image.getpixel((10, 10)) == (255, 0, 0, 255)


def test_gif_frames_downscales_and_stops_at_max_frames() -> None:
    frames = gif_frames(three_frame_gif([60, 60, 60]), max_side=15, max_frames=2)
    assert len(frames) == 2
    assert all(frame.image.size == (15, 10) for frame in frames)


def test_gif_frames_of_a_still_picture_is_one_frame() -> None:
    frames = gif_frames(encode(Image.new("RGB", (4, 4), "white"), "PNG"))
    assert len(frames) == 1 and frames[0].duration_ms == DEFAULT_FRAME_MS


def test_gif_frames_refuses_what_is_not_an_image() -> None:
    with pytest.raises(ImageError, match="not an image"):
        gif_frames(b"GIF? no.")


# -- sniffing and kinds ----------------------------------------------------------------

SNIFFED = [
    (b"\x89PNG\r\n\x1a\n" + bytes(8), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"GIF89a\x01\x00", "image/gif"),
    (b"GIF87a\x01\x00", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"BM" + bytes(12) + (40).to_bytes(4, "little"), "image/bmp"),
    (b"II*\x00\x08\x00\x00\x00" + bytes(8), "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08" + bytes(8), "image/tiff"),
    (minimal_mp4(b"isom")[:32], "video/mp4"),
    (minimal_mp4(b"mp42")[:32], "video/mp4"),
    (minimal_mp4(b"M4A ")[:32], "audio/mp4"),
    (minimal_mp4(b"qt  ")[:32], "video/quicktime"),
    (minimal_mp4(b"heic")[:32], "image/heic"),
    (b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\x82\x84webm", "video/webm"),
    (b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\x82\x88matroska", "video/x-matroska"),
    (b"OggS\x00\x02" + bytes(22) + b"\x13OpusHead", "audio/ogg"),
    (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis", "audio/ogg"),
    (b"OggS\x00\x02" + bytes(22) + b"\x80theora", "video/ogg"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    (b"RIFF\x24\x00\x00\x00AVI LIST", "video/x-msvideo"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00", "audio/mpeg"),  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    (b"\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac"),  # ADTS, AAC LC, 44.1 kHz
    (b"#!AMR\n\x3c" + bytes(16), "audio/amr"),
    (b"#!AMR-WB\n", "audio/amr-wb"),
    (b"fLaC\x00\x00\x00\x22", "audio/flac"),
    (b"FORM\x00\x00\x00\x00AIFFCOMM", "audio/aiff"),
    (b"%PDF-1.7\n", "application/pdf"),
    (b"PK\x03\x04\x14\x00", "application/zip"),
    (b"PK\x05\x06" + bytes(18), "application/zip"),
    (b"\x1f\x8b\x08\x00", "application/gzip"),
]


@pytest.mark.parametrize(("head", "mime"), SNIFFED)
def test_sniff_mime_recognises_magic_numbers(head: bytes, mime: str) -> None:
    assert sniff_mime(head) == mime


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello world",
        b"BM but not a bitmap, just text",
        b"RIFF\x00\x00\x00\x00XXXX",
        b"\xff\xff\xff\xff",  # frame sync bits with a reserved version and bitrate
        b"\xff\xfa\xf0\x00",  # MPEG-1 layer III with the "bad" bitrate index
        b'{"json": true}',
    ],
)
def test_sniff_mime_returns_none_for_unknown_content(head: bytes) -> None:
    assert sniff_mime(head) is None


def test_sniff_mime_reads_the_major_brand_of_an_iso_file_first() -> None:
    # Compatible brands name isom: the major brand still decides.
    assert sniff_mime(box(b"ftyp", b"M4A \x00\x00\x00\x00M4A mp42isom") + bytes(8)) == "audio/mp4"
    assert sniff_mime(box(b"ftyp", b"qt  \x00\x00\x00\x00qt  isom") + bytes(8)) == (
        "video/quicktime"
    )


@given(st.binary(max_size=SNIFF_BYTES))
@settings(max_examples=300, deadline=None)
def test_sniff_mime_never_raises_on_any_bytes(head: bytes) -> None:
    for data in (head, b"\x00\x00\x00\x18ftyp" + head, b"RIFF" + head, b"OggS" + head):
        mime = sniff_mime(data[:SNIFF_BYTES])
        assert mime is None or "/" in mime


def test_probe_loads_filetype_on_first_sniff_not_on_import() -> None:
    code = (
        "import sys, imkit_tui.media.probe as p; assert 'filetype' not in sys.modules; "
        "p.sniff_mime(b'%PDF-1.7'); assert 'filetype' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sniff_mime_agrees_with_real_files_from_pillow() -> None:
    image = Image.new("RGB", (8, 8), "white")
    for fmt, mime in [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
        ("BMP", "image/bmp"),
        ("TIFF", "image/tiff"),
    ]:
        assert sniff_mime(encode(image, fmt)[:64]) == mime, fmt
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("white", "black")]
    animated = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert b"acTL" in animated[:64]
    assert sniff_mime(animated[:64]) == "image/png"


def test_guess_kind_trusts_content_over_the_name(tmp_path: Path) -> None:
    fake = tmp_path / "photo.png"
    fake.write_text("this is text, whatever the name says\n")
    assert guess_kind(fake) is MediaKind.FILE
    gif = tmp_path / "download.bin"
    gif.write_bytes(three_frame_gif())
    assert guess_kind(gif) is MediaKind.GIF
    png = tmp_path / "notes.txt"
    png.write_bytes(encode(Image.new("RGB", (4, 4)), "PNG"))
    assert guess_kind(png) is MediaKind.IMAGE


def test_guess_kind_of_audio_video_and_other_files(tmp_path: Path) -> None:
    voice = write_wav(tmp_path / "voice.wav", [0.0] * 800)
    assert guess_kind(voice) is MediaKind.VOICE
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(minimal_mp4())
    assert guess_kind(clip) is MediaKind.VIDEO
    song = tmp_path / "song.m4a"  # plenty of M4A files carry a video-ish brand
    song.write_bytes(minimal_mp4(b"mp42"))
    assert guess_kind(song) is MediaKind.VOICE
    heic = tmp_path / "photo.heic"  # no HEIC decoder in Pillow: a plain file, not a picture
    heic.write_bytes(minimal_mp4(b"heic"))
    assert guess_kind(heic) is MediaKind.FILE
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert guess_kind(pdf) is MediaKind.FILE
    assert guess_kind(tmp_path / "missing.png") is MediaKind.FILE
    empty = tmp_path / "empty.gif"
    empty.write_bytes(b"")
    assert guess_kind(empty) is MediaKind.FILE


# -- durations -------------------------------------------------------------------------


def test_audio_duration_of_a_wav(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", [0.0] * 20_000, rate=8000)
    duration = audio_duration(path)
    assert duration == pytest.approx(2.5, abs=0.01)


def test_audio_duration_of_a_stereo_8_bit_wav(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "b.wav", [0.1] * 11_025, rate=22_050, width=1, channels=2)
    assert audio_duration(path) == pytest.approx(0.5, abs=0.01)


def test_audio_duration_is_none_for_what_is_not_audio(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    assert audio_duration(text) is None
    assert audio_duration(tmp_path / "missing.mp3") is None


def test_video_duration_of_an_mp4_through_mutagen(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(minimal_mp4(timescale=600, duration=4500))
    assert video_duration(path) == pytest.approx(7.5)


def test_video_duration_is_none_for_what_is_not_video(tmp_path: Path) -> None:
    text = tmp_path / "clip.mp4"
    text.write_text("not a video\n")
    assert video_duration(text) is None


# -- waveform --------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "channels"), [(1, 1), (2, 1), (2, 2), (3, 1), (4, 2)])
def test_waveform_of_silence_then_a_loud_sine(tmp_path: Path, width: int, channels: int) -> None:
    path = write_wav(tmp_path / "s.wav", silence_then_sine(), width=width, channels=channels)
    bars = waveform(path, bars=8)
    assert bars is not None and len(bars) == 8
    assert bars[:4] == [0, 0, 0, 0]
    assert bars[4:] == [7, 7, 7, 7]


def test_waveform_follows_the_loudness(tmp_path: Path) -> None:
    rate = 8000
    ramp = [n / (4 * rate) * math.sin(2 * math.pi * 300 * n / rate) for n in range(4 * rate)]
    bars = waveform(write_wav(tmp_path / "ramp.wav", ramp), bars=16)
    assert bars is not None and len(bars) == 16
    assert bars == sorted(bars) and bars[0] <= 1 and bars[-1] == 7


def test_waveform_scales_a_quiet_recording_to_its_loudest_bar(tmp_path: Path) -> None:
    rate = 8000
    quiet = [0.2 * math.sin(2 * math.pi * 440 * n / rate) for n in range(rate)]
    bars = waveform(write_wav(tmp_path / "quiet.wav", [0.1 * q for q in quiet] + quiet), bars=2)
    assert bars == [1, 7]


def test_waveform_of_silence_is_flat_and_not_amplified(tmp_path: Path) -> None:
    hiss = [0.001 * ((-1) ** n) for n in range(8000)]
    assert waveform(write_wav(tmp_path / "hiss.wav", hiss), bars=4) == [0, 0, 0, 0]


def test_waveform_with_more_bars_than_frames(tmp_path: Path) -> None:
    bars = waveform(write_wav(tmp_path / "short.wav", [0.0, 0.9, 0.0]), bars=6)
    assert bars is not None and len(bars) == 6 and max(bars) == 7


def test_waveform_refuses_bad_input(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n")
    assert waveform(text) is None
    with pytest.raises(ValueError):
        waveform(text, bars=0)


# -- video thumbnails, sizes, icons ----------------------------------------------------


@pytest.mark.skipif(shutil.which("ffmpeg") is not None, reason="ffmpeg is installed")
def test_video_thumbnail_without_ffmpeg_is_none(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(minimal_mp4())
    assert video_thumbnail(path) is None


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KB"),
        (1536, "1.5 KB"),
        (int(12.3 * 1024**2), "12.3 MB"),
        (1024**2 - 1, "1.0 MB"),  # not "1024.0 KB"
        (int(1.2 * 1024**3), "1.2 GB"),
        (3 * 1024**4, "3.0 TB"),
        (-5, "0 B"),
    ],
)
def test_describe_size(size: int, text: str) -> None:
    assert describe_size(size) == text


@pytest.mark.parametrize(
    ("name", "mime", "icon"),
    [
        ("report.pdf", None, "📕"),
        ("notes.txt", None, "📄"),
        ("letter.DOCX", None, "📄"),
        ("backup.tar.gz", None, "🗜\ufe0f"),
        ("song.mp3", None, "🎵"),
        ("clip.MOV", None, "🎬"),
        ("photo.jpeg", None, "🖼\ufe0f"),
        ("budget.xlsx", None, "📊"),
        ("data.csv", None, "📊"),
        ("deck.pptx", None, "📽\ufe0f"),
        ("program.exe", None, "💾"),
        ("README", None, "💾"),
        ("download", "application/pdf", "📕"),
        ("download", "audio/ogg; codecs=opus", "🎵"),
        ("download", "video/mp4", "🎬"),
        ("download", "image/png", "🖼\ufe0f"),
        ("download", "text/plain", "📄"),
        ("x", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "📊"),
        ("x", "application/vnd.oasis.opendocument.presentation", "📽\ufe0f"),
        ("x", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "📄"),
        ("x", "application/zip", "🗜\ufe0f"),
        ("photo.png", "application/octet-stream", "🖼\ufe0f"),
    ],
)
def test_file_icon(name: str, mime: str | None, icon: str) -> None:
    assert file_icon(name, mime) == icon
