"""The OSS model: a durable, HTTP-free storage engine (see store.py) and its event outbox."""

from .outbox import Outbox, Subscription
from .store import Store
from .types import (
    BucketInfo,
    Listing,
    ObjectHeaders,
    ObjectInfo,
    PartInfo,
    PartListing,
    UploadInfo,
    UploadListing,
)

__all__ = [
    "BucketInfo",
    "Listing",
    "ObjectHeaders",
    "ObjectInfo",
    "Outbox",
    "PartInfo",
    "PartListing",
    "Store",
    "Subscription",
    "UploadInfo",
    "UploadListing",
]
