"""opsdiag — diagnose why a product team ships slowly, price it, pick one ritual, measure the pilot."""

__version__ = "0.1.0"
SCHEMA_VERSION = "1"
