"""The observatory's pure parts: statistical disclosure control (no Flask, no database)."""
