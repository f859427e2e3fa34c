"""Use cases. Each takes the acting user explicitly, checks the rules that span entities,
writes, journals and queues mail in the caller's transaction, and flushes: the request or
the command commits once (``stagebourse/transactions.py``)."""


class ServiceError(Exception):
    """A refusal the user can act on. ``str(error)`` is the message to show, in French."""
