"""Use cases. Each takes the acting user explicitly, checks the rules that span entities,
writes, journals, queues mail in the same transaction, and commits once."""


class ServiceError(Exception):
    """A refusal the user can act on. ``str(error)`` is the message to show, in French."""
