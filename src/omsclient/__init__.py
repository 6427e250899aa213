"""omsclient: an async SDK (asyncio or trio, and a blocking ``Client``) for print-shop order
management.

One client speaks to both APIs: the legacy JSON API (``oms.legacy``) and the REST OMS API v1
(``oms.rest``)::

    async with omsclient.AsyncClient() as oms:      # settings from OMS_* variables
        async for order in oms.legacy.orders.iterate(condition, concurrency=8):
            ...
"""

# The subpackages a user names through the package (omsclient.rest.SyncOrders beside
# omsclient.SyncOrders), bound here so that type checkers see them as its attributes.
from omsclient import errors as errors
from omsclient import legacy as legacy
from omsclient import rest as rest
from omsclient._client import (
    DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_TIMEOUT,
    AsyncClient,
    LegacyApiNamespace,
)
from omsclient._decoding import AbsentList
from omsclient._decoding import structure as from_dict
from omsclient._decoding import unstructure as to_dict
from omsclient._pagination import Page, PageIterator
from omsclient._raw_response import ApiResponse, RawResponse
from omsclient._retry import RetryPolicy
from omsclient._settings import OrderFieldNumbering, Settings
from omsclient._sync import Client, SyncLegacy, SyncOrders, SyncPageIterator, SyncProducts
from omsclient._sync_rest import SyncRest
from omsclient._sync_scan import SyncOrderScan, SyncProductScan
from omsclient._with_raw_response import raw_response
from omsclient.errors import (
    ApiError,
    ApiNotEnabledError,
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    DecodeError,
    InvalidConditionError,
    InvalidPagingError,
    InvalidParametersError,
    InvalidRequestError,
    NoConditionsError,
    NotFoundError,
    OmsError,
    PermissionDeniedError,
    ProductsNotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RunawayPagingError,
    ServerError,
    StructureError,
    TransportError,
    UnknownStatusError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_TIMEOUT",
    "AbsentList",
    "ApiError",
    "ApiNotEnabledError",
    "ApiResponse",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "DecodeError",
    "InvalidConditionError",
    "InvalidPagingError",
    "InvalidParametersError",
    "InvalidRequestError",
    "LegacyApiNamespace",
    "NoConditionsError",
    "NotFoundError",
    "OmsError",
    "OrderFieldNumbering",
    "Page",
    "PageIterator",
    "PermissionDeniedError",
    "ProductsNotFoundError",
    "RateLimitError",
    "RawResponse",
    "RequestTimeoutError",
    "RetryPolicy",
    "RunawayPagingError",
    "ServerError",
    "Settings",
    "StructureError",
    "SyncLegacy",
    "SyncOrderScan",
    "SyncOrders",
    "SyncPageIterator",
    "SyncProductScan",
    "SyncProducts",
    "SyncRest",
    "TransportError",
    "UnknownStatusError",
    "ValidationError",
    "__version__",
    "from_dict",
    "raw_response",
    "to_dict",
]
