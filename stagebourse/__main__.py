"""``python -m stagebourse …`` is the same as the ``stagebourse`` command."""

from stagebourse.cli.app import main

main()
