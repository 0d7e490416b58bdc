from django.urls import path

from realtime.edge.base import EchoConsumer
from realtime.edge.chat import GlobalChatConsumer, LobbyConsumer
from realtime.edge.multi import MultiTopicConsumer
from realtime.edge.topics import MatchConsumer, TournamentConsumer, UserConsumer

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    path("ws/tournaments/<int:tournament_id>/", TournamentConsumer.as_asgi()),
    path("ws/matches/<int:match_id>/", MatchConsumer.as_asgi()),
    path("ws/chat/", GlobalChatConsumer.as_asgi()),
    path("ws/lobbies/<int:tournament_id>/", LobbyConsumer.as_asgi()),
    path("ws/me/", UserConsumer.as_asgi()),
    path("ws/", MultiTopicConsumer.as_asgi()),
]
