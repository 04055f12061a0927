"""Rasa-side endpoint that swaps the model without pausing the server: loaded by the Rasa server as
an input channel (credentials.yml), it adds `PUT /webhooks/model_release/model`.

Rasa's own `PUT /model` loads the new model on the server's event loop: for the 30-60 s a load
takes on a busy 2-core machine no message is answered, and action-server connections opened just
before it are dropped ("Cannot write to closing transport"), so those citizens get no reply (the
release-under-load test caught it). This endpoint builds the new model's processor in a worker
thread while the current model keeps answering, then swaps the agent in one step on the event
loop, keeping the tracker store, lock store, action endpoint and event broker of the running agent.
Same contract as Rasa's: JWT (HS256, role admin) signed with JWT_SECRET, a local model file.

credentials.yml (the secret is read from the environment variable it names, as for socket.io):
    maintainer.hot_swap.ModelReleaseChannel:
      jwt_secret_env: JWT_SECRET
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional, Text

import jwt
from rasa.core.agent import Agent
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.processor import MessageProcessor
from sanic import Blueprint, response
from sanic.request import Request

logger = logging.getLogger(__name__)


class ModelReleaseChannel(InputChannel):
    """Not a chat channel: only the model-swap route, on the Rasa server's app."""

    @classmethod
    def name(cls) -> Text:
        return "model_release"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[Text, Any]]) -> "ModelReleaseChannel":
        secret = os.environ.get((credentials or {}).get("jwt_secret_env") or "JWT_SECRET")
        return cls(secret)

    def __init__(self, jwt_secret: Optional[str]) -> None:
        self.jwt_secret = jwt_secret
        self._loading = asyncio.Lock()

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not self.jwt_secret or not header.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(header[len("Bearer ") :], self.jwt_secret, algorithms=["HS256"], options={"require": ["exp"]})
        except jwt.InvalidTokenError:
            return False
        return (claims.get("user") or {}).get("role") == "admin"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        channel = Blueprint("model_release_webhook", __name__)

        @channel.route("/model", methods=["PUT"])
        async def load(request: Request):
            if not self._authorised(request):
                return response.json({"error": "unauthorised"}, status=401)
            model_file = (request.json or {}).get("model_file") or ""
            path = Path(model_file)
            if not (path.is_absolute() and path.name.endswith(".tar.gz") and path.is_file()):
                return response.json({"error": "model_file must be the absolute path of a local .tar.gz"}, status=400)
            async with self._loading:  # one swap at a time
                current: Agent = request.app.ctx.agent
                try:
                    processor = await asyncio.get_running_loop().run_in_executor(None, _build_processor, path, current)
                except Exception as error:  # a bad model leaves the running one in place
                    logger.exception("model %s could not be loaded", path.name)
                    return response.json({"error": f"could not load {path.name}: {type(error).__name__}"}, status=500)
                request.app.ctx.agent = _agent_with(processor, current)
            logger.info("model %s loaded in place", path.name)
            return response.empty(status=204)

        return channel


def _build_processor(model: Path, current: Agent) -> MessageProcessor:
    """The slow part (unpacking and loading every component), off the event loop."""
    return MessageProcessor(
        model_path=model,
        tracker_store=current.tracker_store,
        lock_store=current.lock_store,
        generator=TemplatedNaturalLanguageGenerator({}),
        action_endpoint=current.action_endpoint,
        http_interpreter=current.http_interpreter,
    )


def _agent_with(processor: MessageProcessor, current: Agent) -> Agent:
    """The new agent, built without an await so no message sees it half-made."""
    agent = Agent(
        lock_store=current.lock_store,
        action_endpoint=current.action_endpoint,
        model_server=current.model_server,
        remote_storage=current.remote_storage,
        http_interpreter=current.http_interpreter,
    )
    agent.tracker_store = current.tracker_store
    agent.processor = processor
    agent.domain = processor.domain
    agent.nlg = processor.nlg
    agent.nlg.responses = processor.domain.responses if processor.domain else {}
    agent._set_fingerprint(None)
    agent.tracker_store.domain = agent.domain
    return agent
