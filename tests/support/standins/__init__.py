"""Stand-ins for external services (a Discord API/gateway server, ...) used by end-to-end tests."""
