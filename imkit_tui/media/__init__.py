"""Files and pictures: safe image decoding, thumbnails, kinds, durations, waveforms.

No event loop, no terminal, no layer of the app: plain functions over paths and bytes,
used by the client core (preparing attachments), the server (checking uploads) and the UI
(drawing them). Import the module you need (``images``, ``probe``, ``limits``,
``checksum``): this package imports nothing itself, so the light ones never load Pillow.
"""
