"""One fictional dossier, shared by the import tests (an export line) and the remote-API tests (its answer)."""

CODE = "000.00.12.H57-250714-0031"
PHONE = "0912345678"

# What the one-stop system says about the dossier, besides its code and the applicant's phone.
DOSSIER_FIELDS = {
    "procedure_id": "passport",
    "status": "processing",
    "received_at": "2025-07-14T09:00:00+07:00",
    "due_at": "2025-07-22T17:00:00+07:00",
    "updated_at": "2025-07-15T08:00:00+07:00",
    "agency": "Công an tỉnh Khánh Hòa",
    "missing_documents": [],
    "note": None,
}
