"""The console and the web chat driven by Debian's Chromium."""
