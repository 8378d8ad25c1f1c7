"""Providers: the seam between seatctl and a live organization."""
