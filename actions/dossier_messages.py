"""Vietnamese and English texts of the dossier-status answers (built from dossier data).

Static prompts (ask for the code, ask for the phone, invalid input, service down) are domain
responses in domain/dossier.yml; what is here depends on the dossier or the lockout time.
Plain words for a chat window: what the status means for the citizen and what to do next.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Optional

from knowledge.timestamps import VIETNAM_TZ
from knowledge.types import Dossier

# TODO(issue 11): the support line belongs to knowledge/content/common.yml (store.support_line()).
SUPPORT_LINE = "18001096"

STATUS_LABELS = {
    "received": ("Đã tiếp nhận", "Received"),
    "processing": ("Đang xử lý", "Being processed"),
    "additional_documents_required": ("Cần bổ sung giấy tờ", "More documents needed"),
    "result_ready": ("Đã có kết quả", "Result ready"),
    "completed": ("Đã trả kết quả", "Completed"),
    "refused": ("Bị từ chối", "Refused"),
    "withdrawn": ("Đã dừng xử lý", "Withdrawn"),
}

STATUS_MEANINGS = {
    "received": (
        "Hồ sơ đã được nhận đủ và đang chờ chuyển tới bộ phận giải quyết. Bạn chưa cần làm gì thêm.",
        "Your dossier was accepted as complete and is waiting to go to the office that handles it. "
        "You don't need to do anything yet.",
    ),
    "processing": (
        "Cơ quan đang giải quyết hồ sơ của bạn. Bạn chưa cần làm gì thêm, chỉ cần chờ đến ngày hẹn.",
        "The agency is working on your dossier. You don't need to do anything; just wait for the due date.",
    ),
    "additional_documents_required": (
        "Hồ sơ đang tạm dừng vì còn thiếu giấy tờ. Bạn cần bổ sung thì cơ quan mới giải quyết tiếp; "
        "thời hạn giải quyết được tính lại từ khi nhận đủ.",
        "Your dossier is on hold because some documents are missing. The agency continues once you add "
        "them; the processing time starts again when the file is complete.",
    ),
    "result_ready": (
        "Hồ sơ đã giải quyết xong và có kết quả. Bạn có thể nhận kết quả.",
        "Your dossier has been decided and the result is ready for you.",
    ),
    "completed": (
        "Hồ sơ đã hoàn tất và kết quả đã được trả.",
        "Your dossier is finished and the result has been handed over.",
    ),
    "refused": (
        "Cơ quan đã từ chối giải quyết hồ sơ này.",
        "The agency has refused this dossier.",
    ),
    "withdrawn": (
        "Hồ sơ đã dừng xử lý theo yêu cầu rút hồ sơ.",
        "Processing stopped because the dossier was withdrawn at the applicant's request.",
    ),
}

# Statuses whose due date still matters to the citizen.
OPEN_STATUSES = ("received", "processing", "additional_documents_required")

HOW_TO_ADD_DOCUMENTS = (
    "Cách bổ sung trực tuyến: đăng nhập Cổng Dịch vụ công quốc gia (dichvucong.gov.vn) hoặc cổng dịch vụ "
    "công của tỉnh bằng tài khoản VNeID → mục Quản lý hồ sơ đã nộp → tìm hồ sơ theo mã → Bổ sung hồ sơ → "
    "tải lên giấy tờ còn thiếu → Gửi. Bạn cũng có thể mang giấy tờ đến nơi đã nộp hồ sơ.",
    "How to add them online: log in to the National Public Service Portal (dichvucong.gov.vn) or the "
    "provincial portal with your VNeID account → Submitted dossiers → find this code → Add documents → "
    "upload what is missing → Send. You can also bring the papers to where you submitted the dossier.",
)

HOW_TO_COLLECT_DEFAULT = (
    "Mang Giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng thẻ căn cước đến nơi đã nộp hồ sơ; nếu bạn đã đăng "
    "ký nhận qua bưu điện hoặc nhận bản điện tử thì kết quả sẽ được gửi theo cách đó.",
    "Bring your receipt and your ID card to where you submitted the dossier; if you chose delivery by "
    "post or an electronic result, it will be sent to you that way.",
)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def local_date(moment: datetime) -> date:
    """The calendar date in Vietnam of a stored (UTC) time."""
    return moment.astimezone(VIETNAM_TZ).date()


def format_date(moment: datetime) -> str:
    return local_date(moment).strftime("%d/%m/%Y")


def due_line(dossier: Dossier, today: date, lang: str) -> Optional[str]:
    """Due date with days left or days overdue, for dossiers still open."""
    if dossier.due_at is None or dossier.status not in OPEN_STATUSES:
        return None
    due = format_date(dossier.due_at)
    days = (local_date(dossier.due_at) - today).days
    if lang == "en":
        if days > 1:
            return f"Due date: {due} ({days} days left)."
        if days == 1:
            return f"Due date: {due} (tomorrow)."
        if days == 0:
            return f"Due date: {due} (today)."
        late = -days
        return (
            f"Due date: {due}. It is {late} day{'s' if late > 1 else ''} overdue. The agency must apologise "
            f"and give you a new date; you can also call {SUPPORT_LINE} or talk to an official."
        )
    if days > 1:
        return f"Ngày hẹn trả kết quả: {due} (còn {days} ngày)."
    if days == 1:
        return f"Ngày hẹn trả kết quả: {due} (ngày mai)."
    if days == 0:
        return f"Ngày hẹn trả kết quả: {due} (hôm nay)."
    return (
        f"Ngày hẹn trả kết quả: {due}. Hồ sơ đã quá hạn {-days} ngày. Cơ quan phải xin lỗi và hẹn lại ngày trả; "
        f"bạn cũng có thể gọi {SUPPORT_LINE} hoặc gặp cán bộ."
    )


def status_message(dossier: Dossier, lang: str, today: date, procedure_name: Optional[str] = None) -> str:
    """The whole answer for a verified dossier."""
    label = _pick(STATUS_LABELS[dossier.status], lang)
    lines = [
        ("Dossier " if lang == "en" else "Hồ sơ ") + dossier.code
        + (f" ({procedure_name})" if procedure_name else "")
        + f": {label}.",
        _pick(STATUS_MEANINGS[dossier.status], lang),
    ]
    if dossier.agency:
        lines.append(("Agency: " if lang == "en" else "Cơ quan giải quyết: ") + dossier.agency + ".")
    if dossier.received_at:
        lines.append(("Received on: " if lang == "en" else "Ngày tiếp nhận: ") + format_date(dossier.received_at) + ".")
    due = due_line(dossier, today, lang)
    if due:
        lines.append(due)

    if dossier.status == "additional_documents_required":
        heading = "Documents to add:" if lang == "en" else "Giấy tờ cần bổ sung:"
        lines.append(heading + "".join(f"\n- {item}" for item in dossier.missing_documents))
        if dossier.note:
            lines.append(dossier.note)
        lines.append(_pick(HOW_TO_ADD_DOCUMENTS, lang))
    elif dossier.status == "result_ready":
        how = dossier.note or _pick(HOW_TO_COLLECT_DEFAULT, lang)
        lines.append(("How to collect: " if lang == "en" else "Cách nhận kết quả: ") + how)
    elif dossier.status == "refused":
        reason = dossier.note or ("not given" if lang == "en" else "chưa được ghi")
        lines.append(("Reason: " if lang == "en" else "Lý do: ") + reason)
        lines.append(
            f"If you disagree, you can ask the agency to explain or call {SUPPORT_LINE}."
            if lang == "en"
            else f"Nếu chưa rõ hoặc không đồng ý, bạn có thể hỏi lại cơ quan giải quyết hoặc gọi {SUPPORT_LINE}."
        )
    elif dossier.note:
        lines.append(("Note: " if lang == "en" else "Ghi chú: ") + dossier.note)
    if lang == "en" and (dossier.agency or dossier.note or dossier.missing_documents):
        lines.append("(Agency names, notes and document names are quoted from the agency's record, in Vietnamese.)")
    return "\n".join(lines)


def result_buttons(lang: str, procedure_id: Optional[str]) -> list[dict]:
    """Check another dossier, ask about the procedure (when known), talk to a person."""
    buttons = [
        {"title": "Check another dossier" if lang == "en" else "Tra cứu hồ sơ khác", "payload": "/check_dossier_status"}
    ]
    if procedure_id:
        buttons.append(
            {
                "title": "Ask about this procedure" if lang == "en" else "Hỏi về thủ tục này",
                "payload": "/ask_documents" + json.dumps({"procedure": procedure_id}),
            }
        )
    buttons.append({"title": "Talk to a person" if lang == "en" else "Gặp cán bộ", "payload": "/request_human"})
    return buttons


def retry_buttons(lang: str) -> list[dict]:
    return [
        {"title": "Try again" if lang == "en" else "Thử lại", "payload": "/check_dossier_status"},
        {"title": "Talk to a person" if lang == "en" else "Gặp cán bộ", "payload": "/request_human"},
    ]


def not_verified_message(lang: str, attempts_left: Optional[int]) -> str:
    """The one reply for an unknown code AND a wrong phone: it must not tell them apart."""
    if lang == "en":
        text = (
            "I couldn't find a dossier matching this code and phone number. Please check the code on your "
            "receipt and use the phone number you registered on the dossier."
        )
        if attempts_left == 0:
            text += f" For your security, dossier checks are now paused for 15 minutes. If it is urgent, call {SUPPORT_LINE}."
        elif attempts_left is not None and attempts_left <= 2:
            text += f" For your security, checks pause after {attempts_left} more failed attempt(s)."
        return text
    text = (
        "Mình không tìm thấy hồ sơ khớp với mã và số điện thoại này. Bạn xem lại mã trên Giấy tiếp nhận hồ sơ "
        "và số điện thoại đã đăng ký trên hồ sơ nhé."
    )
    if attempts_left == 0:
        text += f" Để bảo mật, việc tra cứu hồ sơ tạm khóa 15 phút. Nếu cần gấp, bạn gọi tổng đài {SUPPORT_LINE}."
    elif attempts_left is not None and attempts_left <= 2:
        text += f" Để bảo mật, nếu sai thêm {attempts_left} lần nữa việc tra cứu sẽ tạm khóa."
    return text


def locked_message(lang: str, until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    at = until.astimezone(VIETNAM_TZ).strftime("%H:%M")
    if lang == "en":
        return (
            f"There have been too many failed checks, so to protect this information dossier checks are "
            f"paused until {at} (about {minutes} minutes), even with the right number. If it is urgent, "
            f"call {SUPPORT_LINE}."
        )
    return (
        f"Đã nhập sai quá nhiều lần nên để bảo vệ thông tin, việc tra cứu hồ sơ tạm khóa đến {at} "
        f"(khoảng {minutes} phút), kể cả khi nhập đúng số. Nếu cần gấp, bạn gọi tổng đài {SUPPORT_LINE}."
    )
