"""Round-trip case for lesson 05: a plausible mistake, a warm-up that starts at 0 (peak * epoch / warmup_epochs)."""

WRONG_ANSWER = {
    "grade_id": "warmup_cosine",
    "source": '''def warmup_cosine(epoch, peak_rate=1e-3, warmup_epochs=5, total_epochs=40):
    """Linear warm-up to `peak_rate` over `warmup_epochs`, then half a cosine wave down to 0 at `total_epochs`."""
    if epoch < warmup_epochs:
        return float(peak_rate * epoch / warmup_epochs)
    if epoch >= total_epochs:
        return 0.0
    progress = (epoch - warmup_epochs) / (total_epochs - warmup_epochs)
    return float(peak_rate * 0.5 * (1 + math.cos(math.pi * progress)))
''',
}
