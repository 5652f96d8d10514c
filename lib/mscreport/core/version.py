"""The package version (one home: the package, the build's provenance and ``--version`` read it here)."""

__version__ = "0.1.0"
