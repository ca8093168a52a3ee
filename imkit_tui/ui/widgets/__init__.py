"""The app's widgets, each with its CSS beside it."""
