"""Typed keys of the console application's shared objects (aiohttp AppKey)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine

from console.jobs import JobRunner, MaintainerPlaces
from console.live import Hub
from console.rasa_api import RasaApi
from console.settings import ConsoleSettings

SETTINGS = web.AppKey("settings", ConsoleSettings)
ENGINE = web.AppKey("engine", Engine)
HUB = web.AppKey("hub", Hub)
RASA = web.AppKey("rasa", RasaApi)
HTTP = web.AppKey("http", object)  # aiohttp.ClientSession, for Rasa's API
FEED = web.AppKey("feed", object)
TASKS = web.AppKey("tasks", list)
MAINTAINER = web.AppKey("maintainer", MaintainerPlaces)  # where the loop's files are
MAINTAINER_JOBS = web.AppKey("maintainer_jobs", JobRunner)
