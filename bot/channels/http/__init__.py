"""The HTTP side of the service: one server for the students' web chat and the console."""
