"""Socket.IO for the unchanged clients (API.md §4): the server (`server.sio`), mounted beside Django by
config/asgi.py, and its handlers (`handlers.register`), the legacy events, rooms, payloads and errors."""
