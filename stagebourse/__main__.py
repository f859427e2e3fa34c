"""``python -m stagebourse …`` is the same as the ``stagebourse`` command."""

from stagebourse.cli import main

main()
