"""``dgcq-sim architectures``: the registry and one architecture's parameter specs."""

import json

from dgcq_sim.cli import main
from dgcq_sim.quantizers import architectures


def test_lists_every_registered_architecture(capsys):
    assert main(["architectures", "--json"]) == 0
    names = [r["name"] for r in json.loads(capsys.readouterr().out)]
    assert names == list(architectures())


def test_describes_parameters_with_units_ranges_and_defaults(capsys):
    assert main(["architectures", "flash", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    p = {x["name"]: x for x in d["params"]}
    assert p["NBITS"]["range"] == "integer in [1, 8]" and p["NBITS"]["default"] == 4
    assert p["RON"]["unit"] == "ohm" and p["RON"]["ideal"] == 10.0
    assert d["netlist"].endswith("flash.cir")
    assert main(["architectures", "nosuch"]) == 1
    assert "known:" in capsys.readouterr().err


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "dgcq-sim" in capsys.readouterr().out
