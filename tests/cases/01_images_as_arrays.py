"""Round-trip case for lesson 01: a plausible mistake, scikit-image's rgb2gray weights (0.2125, 0.7154, 0.0721; close to, not
equal to, BT.709's 0.2126, 0.7152, 0.0722) instead of BT.601's."""

WRONG_ANSWER = {
    "grade_id": "rgb_to_gray",
    "source": '''def rgb_to_gray(images):
    """BT.601 luminance of RGB images (channels last): 0.299 R + 0.587 G + 0.114 B, as floats."""
    images = np.asarray(images, dtype=np.float64)
    return images @ np.array([0.2125, 0.7154, 0.0721])
''',
}
