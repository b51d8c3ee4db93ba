"""stagemeld storage."""
