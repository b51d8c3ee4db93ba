"""The intake layer (turns, filing, the receipt gate) on a real container."""
