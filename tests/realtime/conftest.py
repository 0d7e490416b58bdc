import pytest


@pytest.fixture(autouse=True)
def _position_ticks_on_demand(settings):
    """Periodic position messages would land between the frames a test expects on a slow
    machine; tests of the positions themselves set a short interval."""
    settings.REALTIME_POSITION_SECONDS = 3600
