"""Helpers that tests in several folders share: stand-in servers, small documents, fixtures' building blocks."""
