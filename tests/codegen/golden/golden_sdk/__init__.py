"""Golden record package."""
