"""``spark.udf``: Python functions registered by name for ``spark.sql`` and ``call_udf``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.errors import AnalysisException, PySparkNotImplementedError, PySparkTypeError
from kaspar.sql.column import Column
from kaspar.sql.functions.udf import UserDefinedFunction


class UDFRegistration:
    """PySpark's ``UDFRegistration`` (``spark.udf``), one per session."""

    def __init__(self) -> None:
        self._functions: dict[str, UserDefinedFunction] = {}

    def register(
        self,
        name: str,
        f: Callable[..., Any] | UserDefinedFunction,
        returnType: T.DataType | str | None = None,
    ) -> UserDefinedFunction:
        """Register ``f`` (a function, or a ``udf``/``pandas_udf``) under ``name``."""
        if isinstance(f, UserDefinedFunction):
            if returnType is not None:
                raise PySparkTypeError(
                    "Invalid return type: data type can not be specified when f is a user-"
                    "defined function, but got " + str(returnType) + ".",
                    "CANNOT_SPECIFY_RETURN_TYPE_FOR_UDF",
                )
            udf = type(f)(f.func, f.returnType, name=name, evalType=f.evalType)
        else:
            udf = UserDefinedFunction(f, returnType or T.StringType(), name=name)
        self._functions[name.lower()] = udf
        return udf

    def registerJavaFunction(self, name: str, javaClassName: str, returnType: Any = None) -> None:
        raise PySparkNotImplementedError(
            "Java UDFs need a JVM, which kaspar does not run; register a Python function with "
            "spark.udf.register.",
            "NOT_IMPLEMENTED",
        )

    def registerJavaUDAF(self, name: str, javaClassName: str) -> None:
        self.registerJavaFunction(name, javaClassName)

    def lookup(self, name: str) -> UserDefinedFunction:
        udf = self._functions.get(name.lower())
        if udf is None:
            raise AnalysisException(
                f"The routine `{name}` cannot be found. Verify the spelling and correctness of "
                "the schema and catalog.",
                "UNRESOLVED_ROUTINE",
            )
        return udf

    def bind_calls(self, statement: exp.Query) -> exp.Query:
        """``spark.sql`` text: calls of registered names become the UDFs' calls."""
        if not self._functions:
            return statement

        def bind(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Anonymous) and node.name.lower() in self._functions:
                udf = self._functions[node.name.lower()]
                return udf(*(Column(a) for a in node.expressions)).expr
            return node

        bound = statement.transform(bind)
        return bound if isinstance(bound, exp.Query) else statement
