"""knowledge/personal_data.py: the numbers the console must never show, and those it must keep."""

from __future__ import annotations

import logging

import pytest

from knowledge.personal_data import MASK, install_log_masking, mask_data, mask_personal_numbers


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("số của tôi 0978 - 123 - 456", ["978", "123 - 456"]),
        ("gọi 0935.111.222 nhé", ["0935", "111.222"]),
        ("sđt +84 903 000 222", ["903 000 222"]),
        ("cccd 012345678901", ["012345678901"]),
        ("cmnd cũ 123456789", ["123456789"]),
        ("cccd 0123 4567 8901", ["4567 8901"]),
        ("０９１２３４５６７８", ["９１２", "912"]),
    ],
)
def test_phone_and_id_numbers_are_hidden(text, hidden):
    masked = mask_personal_numbers(text)
    assert MASK in masked
    for piece in hidden:
        assert piece not in masked


def test_a_code_and_the_last_four_digits_in_one_message_hide_the_digits_only():
    masked = mask_personal_numbers("tra cứu hồ sơ 000.00.31.H57-261020-0005, 4 số cuối 0006")
    assert "000.00.31.H57-261020-0005" in masked  # codes may be shown
    assert "0006" not in masked and masked.endswith(MASK)


@pytest.mark.parametrize(
    "text",
    [
        "Gọi tổng đài 1800 1096 (miễn phí) hoặc 18001096.",
        "Lệ phí 1.200.000 đồng, hạn 2025-12-15.",
        "Mã thủ tục 1.004222 trên Cổng.",
        "hẹn 3 ngày, 15 ngày làm việc",
        "Loading model models/20261127-171246-intricate-array.tar.gz",
    ],
)
def test_public_numbers_in_replies_are_kept(text):
    assert mask_personal_numbers(text) == text


def test_metadata_and_nested_values_are_masked():
    data = {"metadata": {"phone": "0912345678", "list": ["id 079203001234"], "n": 3}, "ok": True}
    masked = mask_data(data)
    assert "0912345678" not in str(masked) and "079203001234" not in str(masked)
    assert masked["metadata"]["n"] == 3 and masked["ok"] is True


def test_log_records_and_tracebacks_are_masked(caplog):
    install_log_masking()
    logger = logging.getLogger("tests.console.masking")
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("request body %s", {"text": "sđt 0912 345 678"})
        try:
            raise ValueError("citizen wrote 079203001234")
        except ValueError:
            logger.exception("action crashed")
    text = caplog.text
    assert "345 678" not in text and "079203001234" not in text
    assert MASK in text and "action crashed" in text


def test_the_request_body_of_a_crashing_action_is_masked_in_rasas_log(caplog):
    """rasa_sdk answers a crashing action with the request it got (the tracker: the citizen's words,
    unmasked); Rasa raises it as ClientResponseError and logs it with the traceback."""
    import json

    from rasa.utils.endpoints import ClientResponseError

    install_log_masking()
    body = json.dumps(
        {
            "error": "boom",
            "request_body": {
                "tracker": {"latest_message": {"text": "sđt 0978 - 123 - 456, cccd 012345678901"}, "slots": {"dossier_phone": "0935.111.222"}}
            },
        }
    )
    processor = logging.getLogger("rasa.core.processor")
    with caplog.at_level(logging.ERROR, logger=processor.name):
        try:
            try:
                raise ClientResponseError(500, "Internal Server Error", body)
            except ClientResponseError as error:
                raise RuntimeError("Failed to execute custom action 'action_x'") from error
        except RuntimeError:
            processor.exception("Encountered an exception while running action 'action_x'.")
    text = caplog.text
    assert "request_body" in text and "Encountered an exception" in text
    for number in ("123 - 456", "012345678901", "0935.111.222"):
        assert number not in text
