"""Versioned, audited PDF reports, rendered from read models."""
