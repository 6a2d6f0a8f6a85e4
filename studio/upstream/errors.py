from __future__ import annotations


class UpstreamError(Exception):
    """A call to the provider did not give the answer we wanted.

    `status` is the HTTP status (None when no answer came), `detail` the provider's text,
    `retryable` whether the same call may be made again, `retry_after` the seconds the
    provider asked us to wait, `request_id` the X-Request-Id of the exchange.
    """

    def __init__(
        self,
        status: int | None,
        detail: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(f"{status or 'no answer'}: {detail}")
        self.status = status
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after
        self.request_id = request_id


class UnknownOutcome(UpstreamError):
    """The request was sent but no answer came (read timeout, connection dropped).

    For a POST this means the job may or may not exist upstream: never resend it blindly.
    """


class DownloadError(UpstreamError):
    """An output could not be fetched or is not a valid image."""
