"""harness: reproducible benchmarks of Docker storage drivers for image builds."""

__version__ = "0.1.0"

#: Version of every file the harness writes (samples, manifest); bump on incompatible change.
SCHEMA_VERSION = 2
