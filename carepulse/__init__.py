"""CarePulse."""
