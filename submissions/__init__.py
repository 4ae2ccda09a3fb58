"""Submission intake: safe unzip, prediction validation, readme and fact-sheet parsing."""
