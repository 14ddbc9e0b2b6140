"""Round-trip case for lesson 02: a plausible mistake, softmax without subtracting each row's maximum.

It matches Keras on ordinary scores but overflows to nan on large ones, so only the softmax test may fail.
"""

WRONG_ANSWER = {
    "grade_id": "softmax",
    "source": '''def softmax(logits):
    """Row-wise softmax of a (samples, classes) array, stable for large scores."""
    exponentials = np.exp(np.asarray(logits, dtype=float))
    return exponentials / exponentials.sum(axis=-1, keepdims=True)
''',
}
