"""Pictures in the terminal: half-block rendering, GIF animation, kitty and sixel output.

Import the module you need (``halfblock``, ``animation``, ``graphics``, ``kitty_inline``):
this package imports nothing itself, so asking for the graphics protocol at start-up
does not load Pillow.
"""
