"""The pulse meter kind: energy counted from the pulses of a meter on a GPIO line."""
