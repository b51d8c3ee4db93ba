"""Casework, the console over ASGI, figures, deadlines and e-mail on real databases."""
