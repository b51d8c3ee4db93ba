"""stagemeld escalation."""
