"""/server, /safety and /default-model: a server's settings, for its admins."""
