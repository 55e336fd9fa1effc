"""How the PySpark API executes: logical plans, analysis, compilation to DuckDB SQL."""
