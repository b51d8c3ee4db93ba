"""stagemeld dialogues."""
