"""Evaluation studies: conditions, participants, their interaction log and exports."""
