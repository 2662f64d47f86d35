"""Errors of delivery channels."""


class DeliveryError(Exception):
    """A channel could not deliver a notification; the worker retries it later.

    ``permanent`` means retrying cannot help (for example an address that no longer exists).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
