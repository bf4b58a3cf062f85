"""OSS errors: the HTTP layer turns any of them into an OSS `<Error>` reply.

The model speaks in real OSS error codes so the protocol layer never has to translate domain
failures; it only adds the request id and host id. Each code the model and the object operations
raise is a class carrying its wire `code`, `status` and default message (moto's style:
`class MissingKey(S3ClientError): code = "NoSuchKey"`), so a status never depends on a message's
wording. `OSSError(code, message, status)` stays for the rarer codes built in one place.
"""

from __future__ import annotations


class OSSError(Exception):
    """A domain error with the real OSS `code`, HTTP `status` and extra response `headers`."""

    code = "InternalError"
    status = 500
    message = "We encountered an internal error. Please try again."

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        if status is not None:
            self.status = status
        super().__init__(f"{self.code}: {self.message}")
        self.headers: dict[str, str] = dict(headers or {})
        # Additional <Error> child elements some codes carry (e.g. BucketName, Key, UploadId).
        self.extra: dict[str, str] = dict(extra or {})
        if self.code == "InvalidArgument":  # OSS names the argument at fault in every such error
            self.extra.setdefault("ArgumentName", "")
            self.extra.setdefault("ArgumentValue", "")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.status})"


class CodedError(OSSError):
    """Base of the classes below: the code and status are the class's, the message optional."""

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(None, message, None, headers, extra)


class InternalError(CodedError):
    code = "InternalError"
    status = 500


class InvalidArgument(CodedError):
    """400 with the `ArgumentName` / `ArgumentValue` elements OSS sends."""

    code = "InvalidArgument"
    status = 400

    def __init__(self, message: str, name: str = "", value: object = "", *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers=headers, extra={"ArgumentName": name, "ArgumentValue": str(value)})


class AccessDenied(CodedError):
    code = "AccessDenied"
    status = 403
    message = "Access denied by authorizer's policy."


class NoSuchBucket(CodedError):
    code = "NoSuchBucket"
    status = 404
    message = "The specified bucket does not exist."

    def __init__(self, name: str) -> None:
        super().__init__(extra={"BucketName": name})


class NoSuchKey(CodedError):
    code = "NoSuchKey"
    status = 404
    message = "The specified key does not exist."

    def __init__(self, key: str) -> None:
        super().__init__(extra={"Key": key})


class NoSuchUpload(CodedError):
    code = "NoSuchUpload"
    status = 404
    message = ("The specified upload does not exist. The upload ID may be invalid, "
               "or the upload may have been aborted or completed.")

    def __init__(self, upload_id: str) -> None:
        super().__init__(extra={"UploadId": upload_id})


class InvalidBucketName(CodedError):
    code = "InvalidBucketName"
    status = 400
    message = "The specified bucket is not valid."

    def __init__(self, name: str) -> None:
        super().__init__(extra={"BucketName": name})


class BucketAlreadyExists(CodedError):
    code = "BucketAlreadyExists"
    status = 409
    message = "The requested bucket name is not available."

    def __init__(self, name: str) -> None:
        super().__init__(extra={"BucketName": name})


class BucketNotEmpty(CodedError):
    code = "BucketNotEmpty"
    status = 409
    message = "The bucket you tried to delete is not empty."

    def __init__(self, name: str) -> None:
        super().__init__(extra={"BucketName": name})


class InvalidObjectName(CodedError):
    code = "InvalidObjectName"
    status = 400
    message = "The specified object name is not valid."


class InvalidDigest(CodedError):
    """A Content-MD5 that is not 16 base64 bytes, or one the body does not match."""

    code = "InvalidDigest"
    status = 400
    message = "The Content-MD5 you specified is not valid."


class EntityTooLarge(CodedError):
    code = "EntityTooLarge"
    status = 400
    message = "Your proposed upload exceeds the maximum allowed size."


class MissingContentLength(CodedError):
    code = "MissingContentLength"
    status = 411
    message = "You must provide the Content-Length HTTP header."


class FileAlreadyExists(CodedError):
    """x-oss-forbid-overwrite, or an overwrite rule, refusing to replace an existing object."""

    code = "FileAlreadyExists"
    status = 409
    message = "The object you specified already exists and can not be overwritten."


class ObjectNotAppendable(CodedError):
    code = "ObjectNotAppendable"
    status = 409
    message = "The object is not appendable."

    def __init__(self, key: str) -> None:
        super().__init__(extra={"Key": key})


class PositionNotEqualToLength(CodedError):
    code = "PositionNotEqualToLength"
    status = 409
    message = "Position is not equal to file length."

    def __init__(self, current: int) -> None:
        super().__init__(headers={"x-oss-next-append-position": str(current)})


class PreconditionFailed(CodedError):
    code = "PreconditionFailed"
    status = 412
    message = "At least one of the pre-conditions you specified did not hold."
