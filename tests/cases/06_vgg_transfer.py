"""Round-trip case for lesson 06: a classic fine-tuning mistake, flipping the top block's layer flags while the base
itself stays frozen (`base.trainable` False, so `base.trainable_weights` is empty)."""

WRONG_ANSWER = {
    "grade_id": "unfreeze_top_block",
    "source": '''def unfreeze_top_block(base, prefix="block5"):
    """Make only the layers of `base` whose names start with `prefix` trainable."""
    for layer in base.layers:
        layer.trainable = layer.name.startswith(prefix)
''',
}
