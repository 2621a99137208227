"""The buzzer kind: alarm patterns sounded by an active buzzer on a GPIO line."""
