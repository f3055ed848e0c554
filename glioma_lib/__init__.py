"""Glioma radiogenomics: the tested core that the book's notebooks call."""

__version__ = "0.1.0"
