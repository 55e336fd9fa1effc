"""Logical plans and their analysis."""
