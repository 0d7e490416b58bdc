"""The WebSocket edge, above the domains: consumers (base, topics, multi, chat), routing, tickets,
the Origin check and the protocol's numbers (and its AsyncAPI document). It may import the domains'
selectors and services; nothing below it imports it (import-linter contracts in pyproject.toml)."""
