"""Command-line entry points. ``app.py`` holds the ``stagebourse`` command (Flask's CLI);
``matching.py`` is the engine's stand-alone command, kept free of Flask so that an outside
auditor can run it with the engine alone."""
