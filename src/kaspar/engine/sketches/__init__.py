"""Spark's sketch functions (HLL, Theta, KLL, Tuple, count-min, numeric histogram) as Arrow UDFs.

``registered.SKETCH_FUNCTIONS`` names the registered UDFs; ``sql_names`` lists the Spark SQL names
without importing them (the SQL dialect reads it while ``kaspar.engine.udf`` imports the dialect).
"""
