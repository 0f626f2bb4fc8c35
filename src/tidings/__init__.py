"""tidings: a self-hosted customer engagement platform that speaks Customer.io's APIs."""

__version__ = "0.1.0"
