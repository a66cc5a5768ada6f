"""Empty lists are a valid state: a clear line and a way on (no pools, no tags, no ISO storage, no bridge)."""

from __future__ import annotations

import pytest
from prompt_toolkit.input import PipeInput

from pvectl.cli.context import AppContext, GlobalOptions
from pvectl.cli.errors import CliError
from pvectl.prompts.flow import collect
from pvectl.vm.config import VmConfig
from pvectl.vm.reference import Ref, ReferenceData, StorageInfo
from tests.prompts.keys import ENTER, answers, pick
from tests.vm.conftest import SimCli


class BareServer(ReferenceData):
    """The simulator, minus pools, tags, ISO storages and bridges."""

    def pools(self) -> Ref[list[str]]:
        return Ref(value=[])

    def tags(self) -> Ref[list[str]]:
        return Ref(value=[])

    def iso_storages(self, node: str) -> Ref[list[str]]:
        return Ref(value=[])

    def bridges(self, node: str) -> Ref[list[str]]:
        return Ref(value=[])


def test_empty_lists_say_so_and_offer_a_way_on(
    cli: SimCli, term: PipeInput, capsys: pytest.CaptureFixture[str]
) -> None:
    not_asked = {"pool": "", "new_tags": "", "iso": "", "net_model": "", "firewall": "", "network_advanced": ""}
    keys = answers(
        iso_storage=pick("No media"),  # instead of the ISO storage: physical drive or no media
        bridge=ENTER,  # instead of the bridge: "Create the VM without a network device"
        **not_asked,
        upto="confirm",
    )
    term.send_text(keys)
    term.close()
    config = collect(VmConfig(), BareServer(AppContext(GlobalOptions()).client()))
    assert config.general.pool is None
    assert config.general.tags == []
    assert (config.os.media, config.os.iso) == ("none", None)
    assert config.network.enabled is False
    err = capsys.readouterr().err
    assert "No resource pools on this server: the VM joins none." in err
    assert "No tags are in use yet." in err
    assert "No storage on pve1 holds ISO images." in err
    assert "No network bridge on pve1." in err


class NoDiskStorage(ReferenceData):
    def image_storages(self, node: str) -> Ref[list[StorageInfo]]:
        return Ref(value=[])


def test_no_disk_storage_ends_with_a_clear_error(cli: SimCli, term: PipeInput) -> None:
    term.send_text(answers(upto="efi_storage"))
    term.close()
    with pytest.raises(CliError, match=r"node pve1 has no storage for disk images \(nothing was sent\)"):
        collect(VmConfig(), NoDiskStorage(AppContext(GlobalOptions()).client()))
    assert cli.writes() == []
