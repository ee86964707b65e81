"""Redis Streams backbone: keys, typed events, and the consumer runtime every pipeline stage runs on."""
