"""The relay kind: load shedding through a power relay on a GPIO line."""
