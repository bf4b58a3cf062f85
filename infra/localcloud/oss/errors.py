"""The one exception the OSS model raises: the HTTP layer turns it into an OSS `<Error>` reply.

The model speaks in real OSS error codes so the protocol layer never has to translate domain
failures; it only adds the request id and host id.
"""

from __future__ import annotations


class OSSError(Exception):
    """A domain error with the real OSS `code`, HTTP `status` and extra response `headers`."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.headers: dict[str, str] = dict(headers or {})
        # Additional <Error> child elements some codes carry (e.g. BucketName, Key, UploadId).
        self.extra: dict[str, str] = dict(extra or {})
        if code == "InvalidArgument":  # OSS names the argument at fault in every such error
            self.extra.setdefault("ArgumentName", "")
            self.extra.setdefault("ArgumentValue", "")

    def __repr__(self) -> str:
        return f"OSSError({self.code!r}, {self.message!r}, {self.status})"


def no_such_bucket(name: str) -> OSSError:
    return OSSError("NoSuchBucket", "The specified bucket does not exist.", 404, extra={"BucketName": name})


def no_such_key(key: str) -> OSSError:
    return OSSError("NoSuchKey", "The specified key does not exist.", 404, extra={"Key": key})


def no_such_upload(upload_id: str) -> OSSError:
    return OSSError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed.",
        404,
        extra={"UploadId": upload_id},
    )


def invalid_argument(message: str, name: str = "", value: object = "") -> OSSError:
    """400 InvalidArgument with the `ArgumentName` / `ArgumentValue` elements OSS sends."""
    return OSSError("InvalidArgument", message, 400, extra={"ArgumentName": name, "ArgumentValue": str(value)})
