"""Message bubbles: one widget class per content type, found through one registry."""
