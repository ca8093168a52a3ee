"""User-selectable themes shipped with imkit: one TOML file per theme."""
