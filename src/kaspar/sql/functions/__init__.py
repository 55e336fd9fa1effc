"""PySpark's ``pyspark.sql.functions``: one module per topic, all re-exported here."""

from kaspar.sql.functions.aggregate import *  # noqa: F403
from kaspar.sql.functions.aggregate import __all__ as _aggregate
from kaspar.sql.functions.collection import *  # noqa: F403
from kaspar.sql.functions.collection import __all__ as _collection
from kaspar.sql.functions.conditional import *  # noqa: F403
from kaspar.sql.functions.conditional import __all__ as _conditional
from kaspar.sql.functions.datetime import *  # noqa: F403
from kaspar.sql.functions.datetime import __all__ as _datetime
from kaspar.sql.functions.math import *  # noqa: F403
from kaspar.sql.functions.math import __all__ as _math
from kaspar.sql.functions.string import *  # noqa: F403
from kaspar.sql.functions.string import __all__ as _string
from kaspar.sql.functions.window import *  # noqa: F403
from kaspar.sql.functions.window import __all__ as _window

__all__ = sorted(
    {*_aggregate, *_collection, *_conditional, *_datetime, *_math, *_string, *_window}
)
