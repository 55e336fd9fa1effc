"""The registry's REST surface, one module per resource."""

from kaspar.registry.routes.compatibility import compatibility_routes
from kaspar.registry.routes.forwarding import Forwarder
from kaspar.registry.routes.metadata import metadata_routes
from kaspar.registry.routes.schemas import schema_routes
from kaspar.registry.routes.settings import settings_routes
from kaspar.registry.routes.subjects import subject_routes

__all__ = [
    "Forwarder",
    "compatibility_routes",
    "metadata_routes",
    "schema_routes",
    "settings_routes",
    "subject_routes",
]
