"""The optional C extensions: kaspar works without them (Python fallbacks), only slower.

Everything else about the package is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "kaspar.protocol._record_columns",
            sources=["src/kaspar/protocol/_record_columns.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.formats._avro_columns",
            sources=["src/kaspar/engine/formats/_avro_columns.c"],
            depends=["src/kaspar/engine/formats/_avro_wire.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.sketches._numeric_histogram",
            sources=["src/kaspar/engine/sketches/_numeric_histogram.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.variant._json_to_variant",
            sources=["src/kaspar/engine/variant/_json_to_variant.c"],
            depends=["src/kaspar/engine/variant/_variant_writer.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.variant._variant_schema",
            sources=["src/kaspar/engine/variant/_variant_schema.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.variant._variant_edit",
            sources=["src/kaspar/engine/variant/_variant_edit.c"],
            depends=["src/kaspar/engine/variant/_variant_writer.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine._spark_xxh64",
            sources=["src/kaspar/engine/_spark_xxh64.c"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
        Extension(
            "kaspar.engine.seeded._spark_rng",
            sources=["src/kaspar/engine/seeded/_spark_rng.c"],
            extra_compile_args=["-O3", "-ffp-contract=off"],  # Java's strict arithmetic
            optional=True,
        ),
    ]
)
