"""The modules the Rasa side imports stay light: no SQLAlchemy, no Rasa, no one-stop client."""

from __future__ import annotations

import subprocess
import sys


def test_personal_data_and_resolution_import_neither_sqlalchemy_nor_rasa():
    code = (
        "import sys, knowledge.personal_data, knowledge.resolution, knowledge.procedure_index, knowledge.names\n"
        "print(sorted(m for m in ('sqlalchemy', 'rasa', 'aiohttp', 'knowledge.onestop_client') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
