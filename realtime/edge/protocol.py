"""The live protocol's numbers and names, in one place: the consumers use them and the AsyncAPI
document (realtime/edge/asyncapi.py) publishes them, so the two cannot drift apart."""

# Close codes the application sends (4xxx: application-defined, RFC 6455 section 7.4.2).
NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
NO_SUCH_TOPIC = 4404
TOO_SLOW = 4408
FLOODING = 4429

# Client frames: JSON text of at most this many bytes (UTF-8); longer ones get an error frame.
MAX_FRAME = 4096

# Heartbeat: the server pings every PING_SECONDS and drops a connection whose answer has not
# come PING_TIMEOUT_SECONDS later. Set on the servers' command lines (Makefile SERVE_OPTIONS and
# the Dockerfile's CMD for uvicorn; daphne's own defaults are the same), checked by a test.
PING_SECONDS = 20
PING_TIMEOUT_SECONDS = 30

# Topics one /ws/ socket may follow at once.
MAX_TOPICS = 20

# A topic refused or revoked on a /ws/ socket: the error code sent on that topic (the socket stays).
DENIED_ERRORS = {FORBIDDEN: "forbidden", NO_SUCH_TOPIC: "no_such_topic", NOT_AUTHENTICATED: "not_authenticated"}

EPOCH_RULE = (
    "seq grows by one per event of a topic within an epoch. A new epoch means the topic's history was lost "
    "(Redis restarted or was restored from an older snapshot): the message that starts it is a snapshot, and "
    "no (epoch, seq) pair is ever sent for two different events. Resume with ?since=SEQ&epoch=E (on /ws/: "
    '"since" and "epoch" in the subscribe): the same epoch replays every later event in order; another epoch, '
    "or a SEQ older than the replay buffer, gets a snapshot."
)
