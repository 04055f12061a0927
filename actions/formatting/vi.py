"""Vietnamese wording for answers built from the knowledge store."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

from actions.formatting.shared import wording_fact

CODE = "vi"

SOURCE = "Nguồn"
UPDATED = "cập nhật"

TOPIC_BUTTONS = {
    "documents": "Cần giấy tờ gì?",
    "fee": "Lệ phí bao nhiêu?",
    "processing_time": "Mất bao lâu?",
    "where_to_submit": "Nộp ở đâu?",
    "online": "Làm online được không?",
    "legal_basis": "Căn cứ pháp lý",
    "steps": "Các bước thực hiện",
    "checklist": "Lập danh sách giấy tờ cho tôi",
    "walkthrough": "Hướng dẫn nộp online từng bước",
    "human": "Gặp cán bộ hỗ trợ",
    "dossier_status": "Tra cứu hồ sơ",
}

WALKTHROUGH_BUTTONS = {
    "next": "Tiếp",
    "back": "Quay lại",
    "repeat": "Nhắc lại",
    "stuck": "Tôi bị kẹt ở bước này",
    "resume": "Tiếp tục hướng dẫn",
}

ONLINE_AVAILABILITY = {
    "full": "Thủ tục này làm online được toàn trình.",
    "partial": "Thủ tục này làm online được một phần.",
    "none": "Thủ tục này hiện chưa làm online được, bạn cần nộp trực tiếp.",
}

# Names of the handling body, built from the commune-level unit's name.
UNIT_BODIES = {
    "commune-committee": "UBND {unit}",
    "commune-police": "Công an {unit}",
    "any-commune-police": "Công an {unit} (hoặc công an xã, phường khác mà bạn tiện đến)",
    "business-registration": "Cơ quan đăng ký kinh doanh cấp xã tại UBND {unit}",
}


def money(amount_vnd: int) -> str:
    return f"{amount_vnd:,}".replace(",", ".") + " đ"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def documents_title(procedure_name: str) -> str:
    return f"Giấy tờ cần chuẩn bị cho thủ tục {procedure_name}:"


def checklist_title(procedure_name: str) -> str:
    return f"Danh sách giấy tờ cho trường hợp của bạn ({procedure_name}):"


OPTIONAL = "nếu có"
DEPENDS = "tùy trường hợp"
NO_DOCUMENTS = "Chưa có danh sách giấy tờ cho thủ tục này."
CHECKLIST_HINT = "Trả lời vài câu hỏi để mình lọc đúng giấy tờ cho trường hợp của bạn."


def missing_title(procedure_name: str) -> str:
    return f"Với thủ tục {procedure_name}, bạn còn thiếu:"


def have_all(procedure_name: str) -> str:
    return f"Bạn đã có đủ giấy tờ chính cho thủ tục {procedure_name}."


def already_have(names: str) -> str:
    return f"Đã có: {names}."


NOTHING_RECOGNISED = "Mình chưa nhận ra giấy tờ bạn đang có. Bạn có thể viết tên giấy tờ, ví dụ: “tôi có giấy chứng sinh và căn cước”."


def fee_title(procedure_name: str) -> str:
    return f"Lệ phí thủ tục {procedure_name}:"


FREE = "Miễn phí."
EXEMPTIONS = "Được miễn lệ phí:"


def online_price(amount: str, until: date | None) -> str:
    if until:
        return f"nộp online: {amount} (đến hết {day(until)})"
    return f"nộp online: {amount}"


NO_FEE_DATA = "Chưa có thông tin lệ phí cho thủ tục này."


def processing_time(procedure_name: str, text: str) -> str:
    return f"Thời gian giải quyết thủ tục {procedure_name}: {text}."


def deadline(text: str) -> str:
    return f"Thời hạn bạn cần làm: {text}."


NO_TIME_DATA = "Chưa có thông tin thời gian giải quyết cho thủ tục này."


def agency(procedure_name: str, name: str) -> str:
    return f"Cơ quan giải quyết thủ tục {procedure_name}: {name}."


NO_AGENCY_DATA = "Chưa có thông tin cơ quan giải quyết cho thủ tục này."


def procedure_page(url: str) -> str:
    return f"Trang thủ tục: {url}"


def where_in_unit(body: str, unit: str) -> str:
    return f"Ở {unit}, bạn nộp hồ sơ tại: {body}."


def former_name(spoken: str, unit: str) -> str:
    return f"“{spoken}” nay thuộc {unit} (sau sắp xếp đơn vị hành chính từ 01/07/2025)."


def fixed_office(body: str) -> str:
    return f"Nơi giải quyết: {body}. Nơi này không phụ thuộc xã, phường bạn ở."


ASK_LOCATION = "Bạn cho mình biết bạn ở xã, phường nào để mình chỉ đúng nơi nộp nhé."


def which_unit(spoken: str) -> str:
    return f"“{spoken}” gồm nhiều xã, phường mới. Bạn ở xã, phường nào?"


def unknown_unit(spoken: str) -> str:
    return f"Mình chưa tìm thấy “{spoken}” trong danh sách xã, phường của tỉnh Khánh Hòa. Bạn viết lại tên xã, phường nhé."


def online_title(procedure_name: str) -> str:
    return f"Làm online thủ tục {procedure_name}:"


def channels(names: str) -> str:
    return f"Nộp qua: {names}."


NO_ONLINE_DATA = "Chưa có thông tin nộp online cho thủ tục này."


def legal_title(procedure_name: str) -> str:
    return f"Căn cứ pháp lý của thủ tục {procedure_name}:"


NO_LEGAL_DATA = "Chưa có thông tin căn cứ pháp lý cho thủ tục này."


def steps_title(procedure_name: str) -> str:
    return f"Các bước nộp online thủ tục {procedure_name}:"


NO_STEPS = "Thủ tục này chưa làm online được nên mình chưa có hướng dẫn từng bước. Bạn có thể hỏi nơi nộp hồ sơ."

ASK_PROCEDURE = "Bạn đang hỏi về thủ tục nào? Ví dụ: khai sinh, cấp lại căn cước, hộ chiếu."


def walkthrough_intro(procedure_name: str, count: int) -> str:
    return f"Mình hướng dẫn bạn nộp online thủ tục {procedure_name} qua {count} bước. Làm xong bước nào bạn bấm “Tiếp”."


BUNDLE_AGENCIES = "Đây là thủ tục liên thông, các cơ quan cùng tham gia:"


def step_heading(number: int, total: int, title: str) -> str:
    return f"Bước {number}/{total}: {title}"


def stuck(title: str) -> str:
    return f"Gợi ý khi bị kẹt ở bước “{title}”:"


def no_step_help(support_name: str, phone: str) -> str:
    return f"Bạn thử đăng xuất, đăng nhập lại hoặc dùng trình duyệt khác. {support_name}: {phone}."


OFFER_HUMAN = "Nếu vẫn chưa được, mình có thể chuyển bạn đến cán bộ hỗ trợ."
AT_FIRST_STEP = "Đây đã là bước đầu tiên."
NO_WALKTHROUGH = "Bạn chưa bắt đầu hướng dẫn nộp hồ sơ nào. Bạn muốn được hướng dẫn thủ tục nào?"
DONE = "Bạn đã hoàn tất các bước nộp hồ sơ."
NEXT = "Tiếp theo: cơ quan tiếp nhận sẽ kiểm tra hồ sơ; nếu thiếu, bạn sẽ nhận yêu cầu bổ sung qua cổng dịch vụ công, VNeID hoặc tin nhắn."


def expected_time(text: str) -> str:
    return f"Thời gian giải quyết dự kiến: {text}."


CHECK_STATUS = "Khi có mã hồ sơ, bạn gửi mã cho mình (ví dụ: “tra cứu hồ sơ 000.00.12.H43-250714-0031”) để xem tình trạng."
NOT_UNDERSTOOD_ANSWER = "Mình chưa hiểu câu trả lời. Bạn chọn một trong các nút bên dưới nhé."


# Service discovery: the summary, the clarifying question and the fallback's "Did you mean …?".
def summary_deadline(text: str) -> str:
    return f"Thời hạn: {text}"


CHOOSE_PROCEDURE = "Bạn muốn làm thủ tục nào dưới đây?"
CHOOSE_FOR_LIFE_EVENT = "Với trường hợp của bạn, thường cần một trong các thủ tục sau. Bạn muốn xem thủ tục nào?"


def bundle_offer(parts: str, single: str) -> str:
    return f"Bạn có thể làm thủ tục liên thông (nộp một lần cho cả {parts}) hoặc chỉ làm {single}. Bạn chọn cách nào?"


CHOOSE_FOR_QUESTION = "Bạn hỏi về thủ tục nào dưới đây? Bấm vào một thủ tục để xem câu trả lời."


def bundle_differs(single: str, parts: str) -> str:
    return (
        f"Câu trả lời trên là cho {single}. Nếu bạn làm thủ tục liên thông (nộp một lần cho cả {parts}), "
        "hồ sơ, lệ phí và thời gian là của cả gói: bấm nút dưới đây để xem."
    )


def did_you_mean(topic: str) -> str:
    return f"Bạn muốn hỏi về {topic} phải không?"


def offer_after_decline(names: str) -> str:
    """Below the decline: the procedures the declined message names."""
    return f"Nếu bạn cần làm thủ tục {names}, mình có thể hướng dẫn:"


def also_asked(names: str) -> str:
    """Two questions in one message: the first is answered above, the other is offered."""
    return f"Bạn cũng hỏi về {names}: xem tiếp?"


AFFIRM_YES = "Đúng vậy"
AFFIRM_NO = "Không phải"

# How the fallback question names what the citizen probably asked ({name}: the procedure).
INTENT_TOPICS = {
    "find_procedure": ("thủ tục {name}", "cách tìm đúng thủ tục hành chính"),
    "ask_documents": ("giấy tờ cần chuẩn bị cho {name}", "giấy tờ cần chuẩn bị cho một thủ tục"),
    "ask_fee": ("lệ phí {name}", "lệ phí của một thủ tục"),
    "ask_processing_time": ("thời gian giải quyết {name}", "thời gian giải quyết hồ sơ"),
    "ask_agency": ("cơ quan giải quyết {name}", "cơ quan giải quyết hồ sơ"),
    "ask_where_to_submit": ("nơi nộp hồ sơ {name}", "nơi nộp hồ sơ"),
    "ask_online": ("làm {name} trực tuyến", "cách nộp hồ sơ trực tuyến"),
    "ask_steps": ("các bước làm {name}", "các bước làm thủ tục"),
    "ask_legal_basis": ("căn cứ pháp lý của {name}", "căn cứ pháp lý của thủ tục"),
    "start_checklist": ("danh sách giấy tờ cho {name}", "lập danh sách giấy tờ"),
    "walkthrough_start": ("hướng dẫn nộp {name} trực tuyến từng bước", "hướng dẫn nộp trực tuyến từng bước"),
    "check_dossier_status": (None, "tra cứu tình trạng hồ sơ"),
    "request_human": (None, "gặp cán bộ hỗ trợ"),
    "switch_language": (None, "đổi ngôn ngữ trả lời"),
    "give_feedback": (None, "góp ý cho trợ lý"),
    "bot_challenge": (None, "việc bạn đang nói chuyện với ai"),
}


# --- dossier status (actions/dossier_messages.py lays these out) -------------------------------

DOSSIER_STATUS_LABELS = {
    "received": "Đã tiếp nhận",
    "processing": "Đang xử lý",
    "additional_documents_required": "Cần bổ sung giấy tờ",
    "result_ready": "Đã có kết quả",
    "completed": "Đã trả kết quả",
    "refused": "Bị từ chối",
    "withdrawn": "Đã dừng xử lý",
}

DOSSIER_STATUS_MEANINGS = {
    "received": "Hồ sơ đã được nhận đủ và đang chờ chuyển tới bộ phận giải quyết. Bạn chưa cần làm gì thêm.",
    "processing": "Cơ quan đang giải quyết hồ sơ của bạn. Bạn chưa cần làm gì thêm, chỉ cần chờ đến ngày hẹn.",
    "additional_documents_required": (
        "Hồ sơ đang tạm dừng vì còn thiếu giấy tờ. Bạn cần bổ sung thì cơ quan mới giải quyết tiếp; thời hạn giải quyết được tính lại từ khi nhận đủ."
    ),
    "result_ready": "Hồ sơ đã giải quyết xong và có kết quả. Bạn có thể nhận kết quả.",
    "completed": "Hồ sơ đã hoàn tất và kết quả đã được trả.",
    "refused": "Cơ quan đã từ chối giải quyết hồ sơ này.",
    "withdrawn": "Hồ sơ đã dừng xử lý theo yêu cầu rút hồ sơ.",
}

HOW_TO_ADD_DOCUMENTS = (
    "Cách bổ sung trực tuyến: đăng nhập Cổng Dịch vụ công quốc gia (dichvucong.gov.vn) hoặc cổng dịch vụ "
    "công của tỉnh bằng tài khoản VNeID → mục Quản lý hồ sơ đã nộp → tìm hồ sơ theo mã → Bổ sung hồ sơ → "
    "tải lên giấy tờ còn thiếu → Gửi. Bạn cũng có thể mang giấy tờ đến nơi đã nộp hồ sơ."
)
HOW_TO_COLLECT_DEFAULT = (
    "Mang Giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng thẻ căn cước đến nơi đã nộp hồ sơ; nếu bạn đã đăng "
    "ký nhận qua bưu điện hoặc nhận bản điện tử thì kết quả sẽ được gửi theo cách đó."
)
DOSSIER = "Hồ sơ "
DOSSIER_AGENCY = "Cơ quan giải quyết: "
DOSSIER_RECEIVED_ON = "Ngày tiếp nhận: "
DOCUMENTS_TO_ADD = "Giấy tờ cần bổ sung:"
HOW_TO_COLLECT = "Cách nhận kết quả: "
REFUSAL_REASON = "Lý do: "
REFUSAL_REASON_MISSING = "chưa được ghi"
DOSSIER_NOTE = "Ghi chú: "
QUOTED_FROM_RECORD = None  # the agency's record is already in Vietnamese
CHECK_ANOTHER_DOSSIER = "Tra cứu hồ sơ khác"
ASK_ABOUT_PROCEDURE = "Hỏi về thủ tục này"
TALK_TO_PERSON = "Gặp cán bộ"
TRY_AGAIN = "Thử lại"


def refused_help(support: str) -> str:
    return f"Nếu chưa rõ hoặc không đồng ý, bạn có thể hỏi lại cơ quan giải quyết hoặc gọi {support}."


def due_line(due: str, days: int, support: str) -> str:
    """Due date with days left (`days` > 0), today, or days overdue (`days` < 0)."""
    if days > 1:
        return f"Ngày hẹn trả kết quả: {due} (còn {days} ngày)."
    if days == 1:
        return f"Ngày hẹn trả kết quả: {due} (ngày mai)."
    if days == 0:
        return f"Ngày hẹn trả kết quả: {due} (hôm nay)."
    return (
        f"Ngày hẹn trả kết quả: {due}. Hồ sơ đã quá hạn {-days} ngày. Cơ quan phải xin lỗi và hẹn lại ngày trả; "
        f"bạn cũng có thể gọi {support} hoặc gặp cán bộ."
    )


def dossier_not_verified(attempts_left: int | None, support: str) -> str:
    text = (
        "Mình không tìm thấy hồ sơ khớp với mã và số điện thoại này. Bạn xem lại mã trên Giấy tiếp nhận hồ sơ "
        "và số điện thoại đã đăng ký trên hồ sơ nhé."
    )
    if attempts_left == 0:
        text += (
            " Để bảo mật, việc tra cứu bằng 4 số cuối tạm khóa 15 phút; bạn vẫn tra cứu được bằng đầy đủ số "
            f"điện thoại đã đăng ký. Nếu cần gấp, bạn gọi tổng đài {support}."
        )
    elif attempts_left is not None and attempts_left <= 2:
        text += f" Để bảo mật, nếu sai thêm {attempts_left} lần nữa việc tra cứu sẽ tạm khóa."
    return text


def dossier_locked(at: str, minutes: int, support: str) -> str:
    return (
        f"Đã nhập sai quá nhiều lần nên để bảo vệ thông tin, việc tra cứu bằng 4 số cuối tạm khóa đến {at} "
        f"(khoảng {minutes} phút). Bạn vẫn tra cứu được bằng đầy đủ số điện thoại đã đăng ký trên hồ sơ. "
        f"Nếu cần gấp, bạn gọi tổng đài {support}."
    )


def dossier_full_number_only(at: str, minutes: int) -> str:
    return (
        f"Do có nhiều lần nhập sai, việc tra cứu bằng 4 số cuối tạm khóa đến {at} (khoảng {minutes} phút). "
        "Bạn vui lòng nhập đầy đủ số điện thoại đã đăng ký trên hồ sơ."
    )


def __getattr__(name: str) -> Any:
    """CAUTION, CAUTION_SECONDARY, CHANNELS and NO_STEP_HELP: facts of knowledge/content/common.yml, from the
    knowledge store (actions/formatting/shared.py); this module holds only the sentences around them."""
    return wording_fact(sys.modules[__name__], name)
