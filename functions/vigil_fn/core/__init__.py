"""The shared core: configuration, HTTP edge, clients, logging, typed events and the modules two functions use."""
