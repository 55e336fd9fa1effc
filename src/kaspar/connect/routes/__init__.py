"""Connect's REST resources, one module each."""

from kaspar.connect.routes.admin import admin_routes
from kaspar.connect.routes.connectors import ConnectorRoutes
from kaspar.connect.routes.plugins import plugin_routes

__all__ = ["ConnectorRoutes", "admin_routes", "plugin_routes"]
