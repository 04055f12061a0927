"""The broker feed: Rasa's own SQL and Pika event brokers (as configured from EVENT_BROKER_URL),
read by the console's feed into the index, each event in the index within 2 s."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot.event_broker import EventBrokerFromUrl, pika_broker_settings
from console.feed import AmqpFeed, SqlBrokerFeed, amqp_settings
from console.index import queries
from console.index.db import create_index_engine, migrate

RABBITMQ = ("127.0.0.1", 5672)


@pytest.fixture
def index(tmp_path):
    engine = create_index_engine(f"sqlite:///{tmp_path / 'console.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


async def wait_for(check, timeout: float = 2.0) -> float:
    """Seconds until `check()` is true; fails after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def conversation(index, sender):
    with index.connect() as connection:
        return queries.get_conversation(connection, sender)


async def test_sql_broker_events_reach_the_index_within_2_seconds_and_once(index, tmp_path, make_events):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    broker = await EventBrokerFromUrl.from_endpoint_config(EndpointConfig(url=url))
    touched = []
    feed = SqlBrokerFeed(url, index, touched.append)
    task = asyncio.create_task(feed.run())
    try:
        e = make_events()
        broker.publish(e.user("đăng ký tạm trú", "ask_documents"))
        broker.publish(e.bot("Bạn cần tờ khai CT01."))
        elapsed = await wait_for(lambda: (c := conversation(index, e.sender)) and c["user_messages"] == 1)
        assert elapsed < 2 and e.sender in touched
    finally:
        task.cancel()
        feed.close()
    # A restarted feed continues after the last event it applied: nothing is applied twice.
    again = SqlBrokerFeed(url, index, touched.append)
    assert again.poll_once() == 0
    broker.publish(make_events(sender=e.sender).user("cảm ơn", "thank"))
    assert again.poll_once() == 1
    assert conversation(index, e.sender)["user_messages"] == 2
    again.close()


def rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection(RABBITMQ, timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not rabbitmq_reachable(), reason="RabbitMQ is not reachable on 127.0.0.1:5672")
async def test_pika_broker_events_reach_the_index_through_rabbitmq(index, make_events):
    queue = f"console_test_{uuid.uuid4().hex[:10]}"
    url = f"amqp://guest:guest@127.0.0.1:5672/?queue={queue}"
    assert pika_broker_settings(url)["queues"] == [queue] and amqp_settings(url)[1] == queue
    broker = await EventBrokerFromUrl.from_endpoint_config(EndpointConfig(url=url))
    feed = AmqpFeed(url, index, lambda _: None)
    task = asyncio.create_task(feed.run())
    try:
        e = make_events()
        broker.publish(e.user("làm hộ chiếu, sđt 0912 345 678", "ask_documents"))
        elapsed = await wait_for(lambda: (c := conversation(index, e.sender)) and c["user_messages"] == 1, 5)
        assert elapsed < 2
        with index.connect() as connection:
            texts = [m["text"] for m in queries.conversation_messages(connection, e.sender)]
        assert texts == ["làm hộ chiếu, sđt [***]"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await feed.close()
        await broker.close()
        import aio_pika

        connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await connection.close()
