"""Round-trip case for lesson 07: a plausible mistake, the residual block without the ReLU after the addition."""

WRONG_ANSWER = {
    "grade_id": "residual_block",
    "source": '''def residual_block(inputs, filters, stride=1):
    """A basic residual block, but the final ReLU is missing."""
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    shortcut = inputs
    if stride != 1 or inputs.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(inputs)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Add()([x, shortcut])
''',
}
