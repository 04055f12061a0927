"""The 27 procedure ids of the catalogue (shared/reference/procedure-catalogue.csv): the contract.

Other parts of the assistant and the evaluations rely on these ids; never rename them. The loader checks
that every content file is one of them and, for a complete load, that all of them are present.
"""
from __future__ import annotations

from typing import NamedTuple


class CatalogueEntry(NamedTuple):
    id: str
    name_vi: str
    name_en: str
    essential: bool


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry('birth-registration', 'Đăng ký khai sinh', 'Birth registration', True),
    CatalogueEntry('death-registration', 'Đăng ký khai tử', 'Death registration', True),
    CatalogueEntry('marriage-registration', 'Đăng ký kết hôn', 'Marriage registration', True),
    CatalogueEntry('birth-bundle', 'Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ dưới 6 tuổi', 'Newborn bundle: birth registration, permanent residence and health insurance card for a child under 6', True),
    CatalogueEntry('death-bundle', 'Liên thông đăng ký khai tử, xóa đăng ký thường trú, trợ cấp mai táng phí', 'Death bundle: death registration, removal of permanent residence and funeral allowance', True),
    CatalogueEntry('permanent-residence', 'Đăng ký thường trú', 'Permanent residence registration', True),
    CatalogueEntry('temporary-residence', 'Đăng ký tạm trú', 'Temporary residence registration', True),
    CatalogueEntry('temporary-absence', 'Khai báo tạm vắng', 'Declaring temporary absence', True),
    CatalogueEntry('stay-notification', 'Thông báo lưu trú', 'Notification of stay', True),
    CatalogueEntry('id-card', 'Cấp đổi, cấp lại thẻ căn cước', 'Exchanging or reissuing the identity card (căn cước)', True),
    CatalogueEntry('id-number-confirmation', 'Xác nhận số Chứng minh nhân dân khi đã được cấp thẻ Căn cước công dân', 'Confirmation of a former ID card number', True),
    CatalogueEntry('passport', 'Cấp, cấp lại hộ chiếu phổ thông', 'Ordinary passport issuance', True),
    CatalogueEntry('judicial-record', 'Cấp Phiếu lý lịch tư pháp', 'Judicial record certificate', True),
    CatalogueEntry('driving-licence-renewal', 'Cấp đổi, cấp lại giấy phép lái xe', 'Driving licence exchange or reissue', True),
    CatalogueEntry('motorbike-registration', 'Đăng ký, cấp biển số mô tô, xe gắn máy', 'Motorbike registration and number plates', True),
    CatalogueEntry('traffic-fine-payment', 'Nộp phạt vi phạm hành chính giao thông (phạt nguội)', 'Paying a camera-detected traffic fine', True),
    CatalogueEntry('seal-registration', 'Làm con dấu mới và cấp giấy chứng nhận đăng ký mẫu dấu', 'Making a new seal and registering its specimen', True),
    CatalogueEntry('land-title-change', 'Đăng ký biến động đất đai do thay đổi thông tin người được cấp giấy chứng nhận', "Land title change after the holder's details change", True),
    CatalogueEntry('electricity-connection', 'Cấp điện mới từ lưới điện hạ áp', 'New low-voltage electricity connection', True),
    CatalogueEntry('electricity-contract-change', 'Thay đổi chủ thể hợp đồng mua bán điện', 'Changing the holder of an electricity contract', True),
    CatalogueEntry('exam-registration', 'Đăng ký dự thi tốt nghiệp THPT và xét tuyển đại học, cao đẳng', 'High-school graduation exam and university admission registration', True),
    CatalogueEntry('unemployment-benefit', 'Giải quyết hưởng trợ cấp thất nghiệp', 'Unemployment benefit', True),
    CatalogueEntry('health-insurance-renewal', 'Gia hạn thẻ BHYT theo hộ gia đình', 'Renewing household health insurance cards', True),
    CatalogueEntry('marital-status-certificate', 'Cấp Giấy xác nhận tình trạng hôn nhân', 'Certificate of marital status', False),
    CatalogueEntry('business-household-registration', 'Đăng ký thành lập hộ kinh doanh', 'Household business registration', False),
    CatalogueEntry('construction-permit', 'Cấp giấy phép xây dựng nhà ở riêng lẻ', 'Construction permit for a private house', False),
    CatalogueEntry('copy-certification', 'Chứng thực bản sao từ bản chính', 'Certified copies from originals', False),
)

CATALOGUE_IDS: tuple[str, ...] = tuple(entry.id for entry in CATALOGUE)
CATALOGUE_BY_ID = {entry.id: entry for entry in CATALOGUE}
