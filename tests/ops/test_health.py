import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.utils.module_loading import import_string


def test_health_needs_nothing(api):
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_checks_database_cache_and_channel_layer(api):
    response = api.get("/api/ready")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"},
    }


@pytest.mark.django_db
def test_ready_reports_a_dead_cache_as_503(api, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = api.get("/api/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error: ConnectionError")


@pytest.mark.requires_redis
def test_real_services_are_wired_when_configured():
    # arena.cache.RedisCache: Django's, with one client per process (not one per ASGI request).
    backend = import_string(settings.CACHES["default"]["BACKEND"])
    assert issubclass(backend, DjangoRedisCache)
    assert isinstance(caches["default"], backend)
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    # ...and one redis.Redis per connection pool, not a new one (and its callback table) per cache call.
    client = caches["default"]._cache
    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client(write=True).connection_pool is client._get_connection_pool(write=True)
    caches["default"].set("arena:test:client", 1)
    assert caches["default"].get("arena:test:client") == 1
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


@pytest.mark.requires_postgres
def test_postgres_connections_come_from_a_bounded_pool():
    """The suite itself runs on the pool (tests/ops/test_database_pool.py bounds a real server's)."""
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] >= 1
