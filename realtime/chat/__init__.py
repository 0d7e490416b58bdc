"""Chat: global chat and tournament lobbies. Rules in services.py, reads in selectors.py, the
per-user flood limit in flood.py; the WebSocket consumers are in realtime/edge/chat.py."""
