"""PySpark's ``pyspark.sql.functions``: one module per topic, all re-exported here."""

from kaspar.sql import udtf as _udtf_module
from kaspar.sql.functions import aes as _aes
from kaspar.sql.functions import aggregate as _aggregate
from kaspar.sql.functions import ansi_interval as _ansi_interval
from kaspar.sql.functions import arrow_udf as _arrow_udf
from kaspar.sql.functions import bitmap as _bitmap
from kaspar.sql.functions import collation as _collation
from kaspar.sql.functions import collection as _collection
from kaspar.sql.functions import conditional as _conditional
from kaspar.sql.functions import counter as _counter
from kaspar.sql.functions import csv_text as _csv_text
from kaspar.sql.functions import csv_write as _csv_write
from kaspar.sql.functions import date_parts as _date_parts
from kaspar.sql.functions import datetime as _datetime
from kaspar.sql.functions import encoding as _encoding
from kaspar.sql.functions import generator as _generator
from kaspar.sql.functions import geo as _geo
from kaspar.sql.functions import grouping as _grouping
from kaspar.sql.functions import hashing as _hashing
from kaspar.sql.functions import higher_order as _higher_order
from kaspar.sql.functions import interval as _interval
from kaspar.sql.functions import json as _json
from kaspar.sql.functions import map_functions as _map_functions
from kaspar.sql.functions import math as _math
from kaspar.sql.functions import misc as _misc
from kaspar.sql.functions import nanos as _nanos
from kaspar.sql.functions import not_applicable as _not_applicable
from kaspar.sql.functions import number_format as _number_format
from kaspar.sql.functions import numeric as _numeric
from kaspar.sql.functions import partition_transforms as _partition_transforms
from kaspar.sql.functions import random_values as _random_values
from kaspar.sql.functions import ranking as _ranking
from kaspar.sql.functions import sketches as _sketches
from kaspar.sql.functions import string as _string
from kaspar.sql.functions import temporal as _temporal
from kaspar.sql.functions import text as _text
from kaspar.sql.functions import time_bucket as _time_bucket
from kaspar.sql.functions import time_of_day as _time_of_day
from kaspar.sql.functions import time_window as _time_window
from kaspar.sql.functions import tuple_sketches as _tuple_sketches
from kaspar.sql.functions import udf as _udf
from kaspar.sql.functions import url as _url
from kaspar.sql.functions import variant as _variant
from kaspar.sql.functions import vector as _vector
from kaspar.sql.functions import vector_aggregate as _vector_aggregate
from kaspar.sql.functions import xml as _xml
from kaspar.sql.functions.aes import *  # noqa: F403
from kaspar.sql.functions.aggregate import *  # noqa: F403
from kaspar.sql.functions.ansi_interval import *  # noqa: F403
from kaspar.sql.functions.arrow_udf import *  # noqa: F403
from kaspar.sql.functions.bitmap import *  # noqa: F403
from kaspar.sql.functions.collation import *  # noqa: F403
from kaspar.sql.functions.collection import *  # noqa: F403
from kaspar.sql.functions.conditional import *  # noqa: F403
from kaspar.sql.functions.counter import *  # noqa: F403
from kaspar.sql.functions.csv_text import *  # noqa: F403
from kaspar.sql.functions.csv_write import *  # noqa: F403
from kaspar.sql.functions.date_parts import *  # noqa: F403
from kaspar.sql.functions.datetime import *  # noqa: F403
from kaspar.sql.functions.encoding import *  # noqa: F403
from kaspar.sql.functions.generator import *  # noqa: F403
from kaspar.sql.functions.geo import *  # noqa: F403
from kaspar.sql.functions.grouping import *  # noqa: F403
from kaspar.sql.functions.hashing import *  # noqa: F403
from kaspar.sql.functions.higher_order import *  # noqa: F403
from kaspar.sql.functions.interval import *  # noqa: F403
from kaspar.sql.functions.json import *  # noqa: F403
from kaspar.sql.functions.map_functions import *  # noqa: F403
from kaspar.sql.functions.math import *  # noqa: F403
from kaspar.sql.functions.misc import *  # noqa: F403
from kaspar.sql.functions.nanos import *  # noqa: F403
from kaspar.sql.functions.not_applicable import *  # noqa: F403
from kaspar.sql.functions.number_format import *  # noqa: F403
from kaspar.sql.functions.numeric import *  # noqa: F403
from kaspar.sql.functions.partition_transforms import *  # noqa: F403
from kaspar.sql.functions.random_values import *  # noqa: F403
from kaspar.sql.functions.ranking import *  # noqa: F403
from kaspar.sql.functions.sketches import *  # noqa: F403
from kaspar.sql.functions.string import *  # noqa: F403
from kaspar.sql.functions.temporal import *  # noqa: F403
from kaspar.sql.functions.text import *  # noqa: F403
from kaspar.sql.functions.time_bucket import *  # noqa: F403
from kaspar.sql.functions.time_of_day import *  # noqa: F403
from kaspar.sql.functions.time_window import *  # noqa: F403
from kaspar.sql.functions.tuple_sketches import *  # noqa: F403
from kaspar.sql.functions.udf import *  # noqa: F403
from kaspar.sql.functions.url import *  # noqa: F403
from kaspar.sql.functions.variant import *  # noqa: F403
from kaspar.sql.functions.vector import *  # noqa: F403
from kaspar.sql.functions.vector_aggregate import *  # noqa: F403
from kaspar.sql.functions.xml import *  # noqa: F403
from kaspar.sql.udtf import (  # noqa: F401
    AnalyzeArgument,
    AnalyzeResult,
    OrderingColumn,
    PartitioningColumn,
    SelectedColumn,
    SkipRestOfInputTableException,
    UserDefinedTableFunction,
    arrow_udtf,
    udtf,
)

__all__ = sorted(  # noqa: PLE0605
    {
        *_aes.__all__,
        *_arrow_udf.__all__,
        *_aggregate.__all__,
        *_ansi_interval.__all__,
        *_bitmap.__all__,
        *_collation.__all__,
        *_collection.__all__,
        *_conditional.__all__,
        *_counter.__all__,
        *_csv_text.__all__,
        *_csv_write.__all__,
        *_date_parts.__all__,
        *_datetime.__all__,
        *_encoding.__all__,
        *_generator.__all__,
        *_geo.__all__,
        *_grouping.__all__,
        *_hashing.__all__,
        *_higher_order.__all__,
        *_interval.__all__,
        *_json.__all__,
        *_map_functions.__all__,
        *_math.__all__,
        *_misc.__all__,
        *_nanos.__all__,
        *_not_applicable.__all__,
        *_number_format.__all__,
        *_numeric.__all__,
        *_partition_transforms.__all__,
        *_random_values.__all__,
        *_ranking.__all__,
        *_sketches.__all__,
        *_string.__all__,
        *_temporal.__all__,
        *_text.__all__,
        *_time_bucket.__all__,
        *_time_of_day.__all__,
        *_time_window.__all__,
        *_tuple_sketches.__all__,
        *_udf.__all__,
        *_url.__all__,
        *_variant.__all__,
        *_vector.__all__,
        *_xml.__all__,
        *_vector_aggregate.__all__,
        *(n for n in _udtf_module.__all__ if n != "UDTFRegistration"),
    }
)
