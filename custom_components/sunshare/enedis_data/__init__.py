"""Home Assistant adapter of the Enedis data kind: flow, coordinator, statistics."""
