"""Reusable widgets of the wizard: one field row per spec field, the step indicator, a keyboard toggle."""
