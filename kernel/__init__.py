"""The shared kernel: helpers every app may use; it imports no domain app."""
