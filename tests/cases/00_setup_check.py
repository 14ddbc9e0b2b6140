"""Round-trip case for lesson 00: a plausible mistake, scaling by 256 instead of 255."""

WRONG_ANSWER = {
    "grade_id": "scale_to_unit",
    "source": '''def scale_to_unit(images):
    """Return uint8 images (any shape) as float32 values in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / 256.0
''',
}
