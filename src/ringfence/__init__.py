"""ringfence: an exact, event-sourced clearing and risk engine built on isolation."""

__all__ = ["__version__"]

__version__ = "0.1.0"
