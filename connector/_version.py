"""The package version, read by the build (hatch) and by `connector --version`."""

__version__ = "0.1.0"
