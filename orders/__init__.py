"""Orders, fills, order events and the order state machine."""
