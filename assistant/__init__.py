"""The Paracite application: configuration, the command line, and (later) answering and serving."""
