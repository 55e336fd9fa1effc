"""Compatibility rules per schema format, and the levels that choose what is checked."""

from kaspar.registry.compatibility.incompatibility import Incompatibility
from kaspar.registry.compatibility.levels import check_compatibility, check_pair

__all__ = ["Incompatibility", "check_compatibility", "check_pair"]
