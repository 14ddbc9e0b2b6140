"""Round-trip case for lesson 05: a plausible mistake, dropping the rate one epoch late (epoch > boundary)."""

WRONG_ANSWER = {
    "grade_id": "step_schedule",
    "source": '''def step_schedule(epoch, initial_rate=0.01, boundaries=(20, 50), factor=0.1):
    """Learning rate for `epoch` (counted from 0): multiplied by `factor` at each boundary reached."""
    passed = sum(1 for boundary in boundaries if epoch > boundary)
    return float(initial_rate * factor ** passed)
''',
}
