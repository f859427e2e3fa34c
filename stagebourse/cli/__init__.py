"""Command-line interface of stagebourse."""
