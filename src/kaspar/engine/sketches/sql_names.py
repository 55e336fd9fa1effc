"""The sketch functions' Spark SQL names (no imports: the SQL dialect reads them at import)."""

KLL_NAMES = (
    "kll_sketch_agg",
    "kll_merge_agg",
    "kll_sketch_to_string",
    "kll_sketch_get_n",
    "kll_sketch_merge",
    "kll_sketch_get_quantile",
    "kll_sketch_get_rank",
)
TUPLE_NAMES = (
    "tuple_sketch_agg",
    "tuple_union_agg",
    "tuple_intersection_agg",
    "tuple_sketch_estimate",
    "tuple_sketch_summary",
    "tuple_sketch_theta",
    "tuple_union",
    "tuple_intersection",
    "tuple_difference",
    "tuple_union_theta",
    "tuple_intersection_theta",
    "tuple_difference_theta",
)
_KLL = tuple(f"{name}_{kind}" for name in KLL_NAMES for kind in ("bigint", "float", "double"))
_TUPLE = tuple(f"{name}_{kind}" for name in TUPLE_NAMES for kind in ("double", "integer"))
SQL_NAMES: tuple[str, ...] = (
    "hll_sketch_agg",
    "hll_union_agg",
    "hll_union",
    "hll_sketch_estimate",
    "theta_sketch_agg",
    "theta_union_agg",
    "theta_intersection_agg",
    "theta_union",
    "theta_intersection",
    "theta_difference",
    "theta_sketch_estimate",
    "count_min_sketch",
    *_KLL,
    *_TUPLE,
)
