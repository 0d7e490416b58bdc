from django.urls import path

from realtime import chat, consumers

websocket_urlpatterns = [
    path("ws/echo/", consumers.EchoConsumer.as_asgi()),
    path("ws/tournaments/<int:tournament_id>/", consumers.TournamentConsumer.as_asgi()),
    path("ws/matches/<int:match_id>/", consumers.MatchConsumer.as_asgi()),
    path("ws/chat/", chat.GlobalChatConsumer.as_asgi()),
    path("ws/lobbies/<int:tournament_id>/", chat.LobbyConsumer.as_asgi()),
    path("ws/me/", consumers.UserConsumer.as_asgi()),
    path("ws/", consumers.MultiTopicConsumer.as_asgi()),
]
