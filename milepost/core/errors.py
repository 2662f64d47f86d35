"""Errors that services raise and every interface maps the same way."""


class DomainError(Exception):
    """A business rule refused the request; ``code`` is stable, ``message`` is for people."""

    status = 422

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


class NotFound(DomainError):
    """The object does not exist or the caller may not see it; both answer the same."""

    status = 404

    def __init__(self, what: str = "object") -> None:
        super().__init__("not_found", f"No such {what}.")


class Forbidden(DomainError):
    """The caller can see the object but their role may not change it."""

    status = 403

    def __init__(self, message: str, *, code: str = "forbidden") -> None:
        super().__init__(code, message)


class TooLarge(DomainError):
    """The request or file is larger than the limit; HTTP answers 413."""

    status = 413
