"""The `imkit` subcommands: each module wires the layers together for one job."""
