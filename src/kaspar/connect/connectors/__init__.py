"""The built-in connectors: files (Apache's FileStream example pair) and PostgreSQL CDC."""
