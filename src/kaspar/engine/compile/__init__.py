"""Compilation of analysed plans to DuckDB SQL, and its execution."""
