"""The OSS HTTP protocol: routing, authentication, authorization mapping, XML and errors.

The model (`localcloud.oss.model`) knows nothing of HTTP; this package turns requests into store
calls and store results (or `OSSError`s) into the responses oss2 expects.
"""

from localcloud.oss.protocol.server import make_server
from localcloud.oss.protocol.service import OSSService

__all__ = ["OSSService", "make_server"]
