"""The scaled-out assistant for the scale tests: real Rasa processes, action servers, HAProxy,
PostgreSQL, Redis (deploy/local_cluster.py).

These tests take several minutes (two Rasa processes start) and need HAProxy and redis-server
(scripts/setup-scale.sh), so they run only when asked for:

    bash scripts/setup-scale.sh && bash scripts/test.sh -m scale tests/scale
"""

from __future__ import annotations

import os

import pytest

from deploy.local_cluster import LocalCluster


def pytest_collection_modifyitems(config, items):
    selected = "scale" in (config.getoption("-m") or "")
    for item in items:
        if "tests/scale/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.scale)
            if not selected:
                item.add_marker(pytest.mark.skip(reason="scale-out test: run with `-m scale` (README, Scale-out)"))


@pytest.fixture(scope="session")
def cluster(trained_model, tmp_path_factory):
    offset = int(os.environ.get("TEST_PORT_OFFSET", "0"))
    port_base = int(os.environ.get("SCALE_TEST_PORT_BASE", str(19200 + offset // 40)))
    handle = LocalCluster(workdir=tmp_path_factory.mktemp("cluster"), port_base=port_base)
    try:
        handle.start()
        yield handle
    finally:
        handle.stop()
