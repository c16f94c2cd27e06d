"""Public problem reports (群众反馈) on a market zone: reporting, tracking, triage, privacy."""
