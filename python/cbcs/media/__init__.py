"""Typed wrappers over the C++ media core."""
