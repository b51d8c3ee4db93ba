"""stagemeld bot."""
