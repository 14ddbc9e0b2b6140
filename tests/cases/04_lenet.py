"""Round-trip case for lesson 04: LeNet-5 built the modern way (ReLU, max pooling), not as the 1998 table says."""

WRONG_ANSWER = {
    "grade_id": "build_lenet5",
    "source": '''def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    """Classic LeNet-5: C1-S2-C3-S4-C5-F6-output, tanh, average pooling, no padding."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(6, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(120, 5, activation="relu"),
        layers.Flatten(),
        layers.Dense(84, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
''',
}
