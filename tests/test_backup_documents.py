"""A backup keeps the contract's own documents with the milestones' evidence."""

from pathlib import Path

from milepost.contracts.services import contract_document_add

from .conftest import build_world
from .test_backup import fresh_installation, milepost, this_installation

AGREEMENT = b"1. The Contractor shall complete the Works by 31 March 2027.\n"


def test_a_backup_and_restore_keep_a_contract_document_file(transactional_db, tmp_path):
    # Given a contract with its signed agreement added as a document
    world = build_world()
    document = contract_document_add(
        contract=world.contract,
        name="agreement.txt",
        data=AGREEMENT,
        title="Signed agreement",
        text=AGREEMENT.decode(),
        text_sha256="",
        pages=[],
        format="txt",
        content_type="text/plain",
        actor=world.client_manager,
    )

    # When the operator backs up and restores into an empty installation
    milepost("backup", str(tmp_path / "backup"), env=this_installation())
    with fresh_installation(tmp_path / "restored") as target:
        milepost("restore", str(tmp_path / "backup"), env=target)

        # Then the document's file is back, byte for byte
        restored = Path(target["MILEPOST_DATA_DIR"]) / "evidence" / document.file.name
        assert restored.read_bytes() == AGREEMENT
